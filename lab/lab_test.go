package lab_test

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/peerform/peerform/lab"
	"github.com/peerform/peerform/lab/labtest"
)

// TestTwoLabsSideBySide starts two labs at once, with our routers
// configured from the start, and checks that each reaches all its
// sessions on its own, and that stopping one leaves the other running and
// nothing of itself behind.
func TestTwoLabsSideBySide(t *testing.T) {
	topo := labtest.Example(t)
	all := []labtest.Session{{Peer: "alpha"}, {Peer: "beta"}, {Peer: "beta2"}, {Peer: "gamma"}, {Peer: "delta"},
		{Peer: "rs"}, {Peer: "cf"}, {Peer: "he"}, {Peer: "akamai"}}
	o := lab.Options{Configs: map[string]string{
		"lab-ams-edge1": labtest.FRRConfig(topo, "lab-ams-edge1", all),
		"lab-fra-edge1": labtest.BIRDConfig(topo, "lab-fra-edge1", all),
	}}
	labs := make([]*lab.Lab, 2)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range labs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			labs[i] = labtest.Start(t, o)
		}()
	}
	wg.Wait()
	if t.Failed() || labs[0] == nil || labs[1] == nil {
		t.FailNow()
	}
	t.Logf("two labs up in %s", time.Since(start).Round(time.Millisecond))
	for _, l := range labs {
		took, err := l.WaitSessions(context.Background(), l.Topology.Links(), 60*time.Second)
		if err != nil {
			t.Fatalf("%s: %v", l.Name, err)
		}
		t.Logf("%s: all %d sessions Established %s after both labs were up", l.Name, len(l.Topology.Links()), took.Round(time.Millisecond))
	}

	first, second := labs[0], labs[1]
	if err := first.Down(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, p := range first.Processes {
		if b, err := os.ReadFile("/proc/" + strconv.Itoa(p.PID) + "/stat"); err == nil && !strings.Contains(string(b), ") Z ") {
			t.Errorf("%s (pid %d) still runs after down", p.Name, p.PID)
		}
	}
	out, _ := exec.Command("ip", "netns", "list").Output()
	if strings.Contains(string(out), first.Name+"-") {
		t.Errorf("namespaces of the stopped lab remain:\n%s", out)
	}
	if _, err := os.Stat(first.Dir); !os.IsNotExist(err) {
		t.Errorf("lab directory remains: %v", err)
	}
	if _, err := second.WaitSessions(context.Background(), second.Topology.Links(), 10*time.Second); err != nil {
		t.Errorf("the other lab suffered: %v", err)
	}
	if _, err := second.Vtysh(context.Background(), "lab-ams-edge1", "show version"); err != nil {
		t.Errorf("the other lab's FRR: %v", err)
	}
}
