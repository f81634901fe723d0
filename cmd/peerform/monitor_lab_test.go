package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/ops/history"
	"github.com/peerform/peerform/internal/testutil"
	"github.com/peerform/peerform/lab"
	"github.com/peerform/peerform/lab/labtest"
)

// scrapeInterval is the lab Prometheus's scrape interval.
const scrapeInterval = time.Second

// testMonitor: peerform monitor watches the lab, a real Prometheus
// scrapes it every second with the shipped alerting rules
// (PeerformSessionDown's `for` shortened to 0s), and when a lab peer is
// stopped PeerformSessionDown fires for each of its sessions, and only for
// them, within two scrapes of the monitor after the stop, as Prometheus's
// own samples and alerts say. The history file records the sessions as
// down after a flap.
func testMonitor(t *testing.T, l *lab.Lab, args []string) {
	labtest.NeedTools(t, "prometheus")
	ctx := context.Background()
	sessions := checkJSON(t, args).Sessions
	intended := len(sessions)

	hist := filepath.Join(t.TempDir(), "sessions.json")
	metrics := startMonitor(t, append([]string{"monitor", "--listen", "127.0.0.1:0", "--interval", "200ms", "--history", hist}, args...)...)
	prom := startPrometheus(t, metrics)

	err := lab.WaitFor(ctx, "Prometheus to see every session up", 60*time.Second, func() error {
		if v := promScalar(t, prom, "sum(peerform_session_up)"); v != fmt.Sprint(intended) {
			return fmt.Errorf("%s of %d sessions up", v, intended)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if a := promAlerts(t, prom); len(a) != 0 {
		t.Fatalf("alerts before anything happened: %+v", a)
	}

	const peer, asn = "he", "6939"
	links := 0 // the peer's intended sessions
	for _, s := range sessions {
		if s.PeerASN == 6939 {
			links++
		}
	}
	if links == 0 {
		t.Fatalf("the example has no session with %s", peer)
	}
	stopped := time.Now()
	if err := l.StopPeer(peer); err != nil {
		t.Fatal(err)
	}
	var firing []promAlert
	err = lab.WaitFor(ctx, "PeerformSessionDown for "+peer, 30*time.Second, func() error {
		firing = firing[:0]
		for _, a := range promAlerts(t, prom) {
			if a.Labels["alertname"] == "PeerformSessionDown" && a.State == "firing" {
				firing = append(firing, a)
			}
		}
		if len(firing) < links {
			return fmt.Errorf("%d of %d sessions alerting", len(firing), links)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range firing {
		if a.Labels["peer_asn"] != asn {
			t.Errorf("alert for a session that did not go down: %v", a.Labels)
			continue
		}
		// The scrapes of the monitor Prometheus made after the stop and
		// up to the alert's activation, from its own samples.
		scrapes := promSamplesAfter(t, prom, `up{job="peerform"}[1m]`, stopped, a.ActiveAt)
		t.Logf("%s %s: active %s after the stop, after %d scrapes", a.Labels["router"], a.Labels["neighbor"], a.ActiveAt.Sub(stopped).Round(time.Millisecond), scrapes)
		if scrapes > 2 {
			t.Errorf("%s %s: the alert fired after %d scrapes, want at most 2", a.Labels["router"], a.Labels["neighbor"], scrapes)
		}
	}

	h, err := history.Load(hist)
	if err != nil {
		t.Fatal(err)
	}
	down := 0
	for _, s := range h.Peer(6939) {
		if !s.DownSince.IsZero() && !s.DownSince.Before(stopped) && !s.LastUp.IsZero() && s.Flaps == 1 {
			down++
		}
	}
	if down != links {
		t.Errorf("the history has %d of %s's %d sessions down since the stop after a flap: %+v", down, peer, links, h.Peer(6939))
	}
}

// startMonitor runs peerform monitor until the test ends and returns the
// address it serves metrics on.
func startMonitor(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errOut := &lockedBuffer{}
	done := make(chan int)
	go func() {
		done <- runContext(ctx, args, &ioStreams{In: strings.NewReader(""), Out: &lockedBuffer{}, ErrOut: errOut})
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != exitOK {
			t.Errorf("monitor exited %d:\n%s", code, errOut)
		}
	})
	addr := regexp.MustCompile(`metrics on http://(\S+)/metrics`)
	var found string
	err := lab.WaitFor(ctx, "peerform monitor to listen", 30*time.Second, func() error {
		if m := addr.FindStringSubmatch(errOut.String()); m != nil {
			found = m[1]
			return nil
		}
		return fmt.Errorf("not yet:\n%s", errOut)
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// startPrometheus runs a Prometheus that scrapes target every
// scrapeInterval, evaluating the shipped rules four times as often, with
// PeerformSessionDown's `for` set to 0s. It returns its base URL.
func startPrometheus(t *testing.T, target string) string {
	t.Helper()
	dir := t.TempDir()
	rules, err := os.ReadFile(testutil.Path(t, "docs/monitoring/peerform-alerts.yml"))
	if err != nil {
		t.Fatal(err)
	}
	fast := regexp.MustCompile(`(?m)(- alert: PeerformSessionDown\n(?:\s+\S.*\n)*?\s+for: )\S+`).ReplaceAll(rules, []byte("${1}0s"))
	if bytes.Equal(fast, rules) {
		t.Fatal("cannot shorten PeerformSessionDown's for")
	}
	writeFile(t, dir, "rules.yml", fast)
	writeFile(t, dir, "prometheus.yml", fmt.Appendf(nil, "global:\n  scrape_interval: %s\n  scrape_timeout: 900ms\n  evaluation_interval: 250ms\n"+
		"rule_files: [rules.yml]\nscrape_configs:\n  - job_name: peerform\n    static_configs:\n      - targets: [%q]\n", scrapeInterval, target))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command("prometheus", "--config.file", filepath.Join(dir, "prometheus.yml"), "--storage.tsdb.path", filepath.Join(dir, "data"),
		"--web.listen-address", addr, "--log.level", "warn")
	log := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("prometheus log:\n%s", log)
		}
	})
	base := "http://" + addr
	err = lab.WaitFor(context.Background(), "Prometheus to be ready", 30*time.Second, func() error {
		resp, err := http.Get(base + "/-/ready")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %s", resp.Status)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	return base
}

// promGet reads one answer of Prometheus's HTTP API into data.
func promGet(t *testing.T, u string, data any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env struct {
		Status string          `json:"status"`
		Error  string          `json:"error"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || env.Status != "success" {
		t.Fatalf("%s: %v %s %s", u, err, env.Status, env.Error)
	}
	if err := json.Unmarshal(env.Data, data); err != nil {
		t.Fatalf("%s: %v", u, err)
	}
}

// promScalar is the value of an instant query with one result ("" for none).
func promScalar(t *testing.T, base, query string) string {
	t.Helper()
	var d struct {
		Result []struct {
			Value [2]any `json:"value"`
		} `json:"result"`
	}
	promGet(t, base+"/api/v1/query?query="+url.QueryEscape(query), &d)
	if len(d.Result) != 1 {
		return ""
	}
	return fmt.Sprint(d.Result[0].Value[1])
}

type promAlert struct {
	Labels   map[string]string `json:"labels"`
	State    string            `json:"state"`
	ActiveAt time.Time         `json:"activeAt"`
}

func promAlerts(t *testing.T, base string) []promAlert {
	t.Helper()
	var d struct {
		Alerts []promAlert `json:"alerts"`
	}
	promGet(t, base+"/api/v1/alerts", &d)
	return d.Alerts
}

// promSamplesAfter counts the raw samples of a range selector, evaluated
// at until, whose timestamps are after from.
func promSamplesAfter(t *testing.T, base, selector string, from, until time.Time) int {
	t.Helper()
	var d struct {
		Result []struct {
			Values [][2]any `json:"values"`
		} `json:"result"`
	}
	promGet(t, fmt.Sprintf("%s/api/v1/query?query=%s&time=%.3f", base, url.QueryEscape(selector), float64(until.UnixMilli())/1000), &d)
	n := 0
	for _, r := range d.Result {
		for _, v := range r.Values {
			if ts, ok := v[0].(float64); ok && time.UnixMilli(int64(ts*1000)).After(from) {
				n++
			}
		}
	}
	return n
}
