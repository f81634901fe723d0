package device

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/scrapli/scrapligo/driver/opoptions"
	"github.com/scrapli/scrapligo/response"
)

// JunosNetconf deploys the rendered Junos configuration over NETCONF (a
// router with platform = "junos" and transport = "netconf"), with the
// machinery of the netconf platform: lock the candidate, load, confirmed
// commit with a timeout in seconds, confirm or roll back, unlock. Where
// NETCONF has no operation for what Junos needs, it uses the Junos XML
// operations every Junos NETCONF server offers
// (http://xml.juniper.net/netconf/junos/1.0):
//
//   - Apply loads the config with <load-configuration>: the curly-brace
//     format the junos templates render as <configuration-text> with
//     action="replace" (statements tagged "replace:" replace what the
//     router has, the rest merges), or set/delete statements as
//     <configuration-set> with action="set". The text travels escaped
//     inside the XML, so it cannot reach anything but the loader.
//   - Running reads [edit protocols bgp] of the committed configuration
//     with <get-configuration format="set">, as the CLI driver's
//     `show configuration protocols bgp | display set`, sorted.
//   - Rollback is <cancel-commit/> on servers with :confirmed-commit:1.1,
//     else <load-configuration rollback="1"/> and a commit (the CLI's
//     `rollback 1` and `commit`).
//   - Sessions reads <get-bgp-summary-information/>.
//
// A failed load or commit is an ErrRejected naming Junos's error text (but
// never its error-info, which quotes the offending statement, keys
// included); the candidate is then discarded and unlocked. Warnings
// (Junos warns when a statement to delete is not there) are logged, not
// failures.
type JunosNetconf struct {
	s       *ncSession
	pending bool
}

var (
	_ Driver       = (*JunosNetconf)(nil)
	_ Normalizer   = (*JunosNetconf)(nil)
	_ SecretFinder = (*JunosNetconf)(nil)
)

// Secrets lists the authentication-keys of a config.
func (j *JunosNetconf) Secrets(cfg string) []string { return findSecrets(junosKey, cfg) }

// capJunos is the capability of the Junos XML operations.
const capJunos = "http://xml.juniper.net/netconf/junos/1.0"

// junosRunningRPC reads the committed BGP configuration as set commands.
const junosRunningRPC = `<get-configuration database="committed" format="set"><configuration><protocols><bgp/></protocols></configuration></get-configuration>`

// OpenJunosNetconf opens a NETCONF session to a Junos router (port 830
// unless given) and checks it has the candidate datastore, confirmed
// commit and the Junos XML operations.
func OpenJunosNetconf(ctx context.Context, ep Endpoint, o NetconfOptions) (*JunosNetconf, error) {
	s, err := openNCSession(ctx, ep, o, "junos-netconf", func(s *ncSession) error {
		if !s.hasCapability(capJunos) {
			return s.missing([]string{"the Junos XML operations (" + capJunos + ")"})
		}
		return nil
	}, func(s *ncSession) (*response.NetconfResponse, error) {
		return s.d.RPC(opoptions.WithFilter(junosRunningRPC))
	})
	if err != nil {
		return nil, err
	}
	return &JunosNetconf{s: s}, nil
}

// Running returns [edit protocols bgp] of the committed configuration as
// sorted set statements.
func (j *JunosNetconf) Running(ctx context.Context) (string, error) {
	r, err := j.s.rpc(ctx, "get-configuration", func() (*response.NetconfResponse, error) {
		return j.s.d.RPC(opoptions.WithFilter(junosRunningRPC))
	})
	if err != nil {
		return "", err
	}
	text, err := elementText([]byte(r.Result), "configuration-set")
	if err != nil {
		return "", fmt.Errorf("%s: junos: get-configuration: %w", j.s.host, err)
	}
	return junosNormalize(text), nil
}

// Normalize turns set statements into Running's form; a curly-brace
// config is returned as it is (see Junos.Normalize).
func (j *JunosNetconf) Normalize(cfg string) (string, error) { return junosNormalize(cfg), nil }

// Apply loads cfg into the locked candidate and commits it with a confirm
// timeout in whole seconds.
func (j *JunosNetconf) Apply(ctx context.Context, cfg string, confirmTimeout time.Duration) error {
	host := j.s.host
	if j.pending {
		return fmt.Errorf("%s: junos: the previous change is neither confirmed nor rolled back", host)
	}
	load, err := junosLoadRPC(cfg)
	if err != nil {
		return fmt.Errorf("%s: junos: %w", host, err)
	}
	secs, err := confirmSeconds(confirmTimeout)
	if err != nil {
		return fmt.Errorf("%s: junos: %w", host, err)
	}
	if err := j.s.lock(ctx); err != nil {
		return err
	}
	// Start from the committed configuration: changes someone left in the
	// candidate must not ride along.
	if err := j.s.discard(ctx); err != nil {
		return j.s.abandon(ctx, err)
	}
	r, err := j.s.rpc(ctx, "load-configuration", func() (*response.NetconfResponse, error) {
		return j.s.d.RPC(opoptions.WithFilter(load))
	})
	if err == nil {
		err = loadResult(host, r)
	}
	if err != nil {
		return j.s.abandon(ctx, err)
	}
	if err := j.s.commitConfirmed(ctx, secs); err != nil {
		if !errors.Is(err, ErrRejected) {
			// The session broke during the commit: if it went through,
			// the router rolls it back when the time is up.
			return err
		}
		return j.s.abandon(ctx, err)
	}
	j.pending = true
	j.s.log.Info("committed, waiting for confirmation", "confirm-timeout", time.Duration(secs)*time.Second)
	return nil
}

// junosLoadRPC checks a rendered config as the CLI driver does and wraps
// it, escaped, in the <load-configuration> that loads its format: a
// curly-brace config as it is (indentation kept), set statements without
// their comments.
func junosLoadRPC(cfg string) (string, error) {
	var (
		lines []string
		err   error
		b     strings.Builder
	)
	curly := junosCurly(cfg)
	if curly {
		if lines, err = configLines(cfg, nil, nil, nil); err == nil {
			err = checkCurly(lines)
		}
		lines = strings.Split(strings.TrimSpace(strings.ReplaceAll(cfg, "\r", "")), "\n")
		b.WriteString(`<load-configuration action="replace" format="text"><configuration-text>`)
	} else {
		lines, err = configLines(cfg, []string{"#", "/*"}, junosStatements, nil)
		b.WriteString(`<load-configuration action="set" format="text"><configuration-set>`)
	}
	if err != nil {
		return "", err
	}
	b.WriteString("\n")
	for _, l := range lines {
		// Line by line: xml.EscapeText would write each newline as &#xA;.
		if err := xml.EscapeText(&b, []byte(strings.TrimRight(l, " \t"))); err != nil {
			return "", err
		}
		b.WriteString("\n")
	}
	if curly {
		b.WriteString(`</configuration-text></load-configuration>`)
	} else {
		b.WriteString(`</configuration-set></load-configuration>`)
	}
	return b.String(), nil
}

// loadResult checks a <load-configuration-results> reply: Junos reports
// errors as rpc-errors (already refused by rpc) and counts them in
// <load-error-count>; a reply without <load-success/> is a refusal too.
func loadResult(host string, r *response.NetconfResponse) error {
	if bytes.Contains(r.RawResult, []byte("<load-success/>")) {
		return nil
	}
	count, _ := elementText([]byte(r.Result), "load-error-count")
	if count = strings.TrimSpace(count); count == "" {
		count = "unknown"
	}
	return fmt.Errorf("%s: junos: load-configuration: %w: the load did not succeed (%s errors)", host, ErrRejected, count)
}

// Confirm commits again, which makes the confirmed commit permanent, and
// releases the lock.
func (j *JunosNetconf) Confirm(ctx context.Context) error {
	if !j.pending {
		return fmt.Errorf("%s: junos: nothing to confirm", j.s.host)
	}
	if err := j.s.commit(ctx, "commit"); err != nil {
		return err
	}
	j.pending = false
	j.s.log.Info("confirmed")
	return j.s.unlock(ctx)
}

// Rollback undoes the pending commit now and releases the lock. Without a
// pending commit it does nothing.
func (j *JunosNetconf) Rollback(ctx context.Context) error {
	if !j.pending {
		return nil
	}
	var err error
	if j.s.cancelCommit {
		err = j.s.cancel(ctx)
	} else {
		_, err = j.s.rpc(ctx, "load-configuration rollback 1", func() (*response.NetconfResponse, error) {
			return j.s.d.RPC(opoptions.WithFilter(`<load-configuration rollback="1"/>`))
		})
		if err == nil {
			err = j.s.commit(ctx, "commit (rollback 1)")
		}
	}
	if err != nil {
		return err
	}
	j.pending = false
	j.s.log.Info("rolled back")
	return j.s.unlock(ctx)
}

// Sessions reads <get-bgp-summary-information/>.
func (j *JunosNetconf) Sessions(ctx context.Context) ([]Session, error) {
	r, err := j.s.rpc(ctx, "get-bgp-summary-information", func() (*response.NetconfResponse, error) {
		return j.s.d.RPC(opoptions.WithFilter("<get-bgp-summary-information/>"))
	})
	if err != nil {
		return nil, err
	}
	s, err := parseJunosSummaryXML(r.Result)
	if err != nil {
		return nil, fmt.Errorf("%s: junos: %w", j.s.host, err)
	}
	return s, nil
}

// Close ends the session; a pending commit is rolled back by the router
// (at once, since its session is gone, or when the timeout is up).
func (j *JunosNetconf) Close() error { return j.s.close() }

// elementText returns the text of the first element named local in an XML
// reply (bounded like every router answer), or an error when there is none.
func elementText(reply []byte, local string) (string, error) {
	if len(reply) > maxOutputBytes {
		return "", fmt.Errorf("reply of %d bytes", len(reply))
	}
	dec := xml.NewDecoder(bytes.NewReader(reply))
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return "", fmt.Errorf("no <%s> in the reply", local)
		}
		if err != nil {
			return "", err
		}
		if start, ok := tok.(xml.StartElement); ok && start.Name.Local == local {
			var text string
			if err := dec.DecodeElement(&text, &start); err != nil {
				return "", err
			}
			return text, nil
		}
	}
}

// parseJunosSummaryXML reads the reply to <get-bgp-summary-information/>:
// the same data as `show bgp summary | display json`, as XML.
func parseJunosSummaryXML(reply string) ([]Session, error) {
	if len(reply) > maxOutputBytes {
		return nil, fmt.Errorf("bgp summary: %d bytes of output", len(reply))
	}
	type value struct {
		Text    string `xml:",chardata"`
		Seconds string `xml:"seconds,attr"`
	}
	type info struct {
		Peers []struct {
			Address value `xml:"peer-address"`
			AS      value `xml:"peer-as"`
			Desc    value `xml:"description"`
			State   value `xml:"peer-state"`
			Elapsed value `xml:"elapsed-time"`
			RIBs    []struct {
				Name     value `xml:"name"`
				Accepted value `xml:"accepted-prefix-count"`
			} `xml:"bgp-rib"`
		} `xml:"bgp-peer"`
	}
	dec := xml.NewDecoder(strings.NewReader(reply))
	var peers []junosPeer
	found := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("bgp summary: %w", err)
		}
		start, ok := tok.(xml.StartElement)
		if !ok || start.Name.Local != "bgp-information" {
			continue
		}
		var in info
		if err := dec.DecodeElement(&in, &start); err != nil {
			return nil, fmt.Errorf("bgp summary: %w", err)
		}
		found = true
		for _, p := range in.Peers {
			jp := junosPeer{address: p.Address.Text, as: p.AS.Text, desc: p.Desc.Text, state: p.State.Text, seconds: p.Elapsed.Seconds}
			for _, rib := range p.RIBs {
				jp.ribs = append(jp.ribs, junosRIB{name: rib.Name.Text, accepted: rib.Accepted.Text})
			}
			peers = append(peers, jp)
		}
	}
	if !found {
		return nil, errors.New("bgp summary: no bgp-information in the reply")
	}
	return junosSessions(peers)
}
