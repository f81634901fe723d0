package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/peerform/peerform/internal/change/secret"
	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/ops/request"
	"github.com/peerform/peerform/internal/ops/request/peeringapi"
	"github.com/peerform/peerform/internal/pipeline"
	"github.com/peerform/peerform/internal/repo/proposal"
	"github.com/peerform/peerform/internal/repo/repofs"
)

type requestOptions struct {
	app        *app
	peer       bgp.ASN
	flags      scoringFlags
	json       bool
	out        string
	from       string
	send       bool
	peeringAPI string
	apiToken   string
	apiWait    time.Duration
	proposeTo  string
	propose    proposeFlags
	now        func() time.Time
	idSeed     string
}

func newCmdRequest(a *app, runF func(*requestOptions) error) *cobra.Command {
	opts := &requestOptions{app: a, now: time.Now}
	cmd := &cobra.Command{
		Use:     "request AS<n>",
		GroupID: "intent",
		Short:   "Ask a network to peer: the e-mail, the Peering API request and the requested peer file",
		Long: `Request writes the peering request a coordinator sends to a network, to
its PeeringDB contacts: the policy and technical contacts (To), the NOC
(Cc; To when it is the only one), and the cc list of the policy's smtp
block. Only contacts PeeringDB shows (visible Public or Users) with plain
addresses are used. The message says:

  - our AS number, AS-SET and PeeringDB page;
  - the exchanges both networks are at, with our addresses there (from
    policies/) and theirs (PeeringDB netixlan, and any other address the
    exchange's IX-F export gives them, with a request to check their
    record), and the facilities both are in, with their street addresses
    (PeeringDB fac);
  - the sessions we would configure and the max-prefix we would set for
    their routes (their PeeringDB counts with the policy's headroom), as
    the routers would get them once the peer is active (IX-F exports
    included);
  - how our side rates the peering: the headline and strongest factors
    of 'peerform score'.

The message (RFC 5322, text/plain UTF-8) is printed, written to --out, or
with --send submitted through the smtp block in policies/ (STARTTLS
required unless the block says otherwise; the password comes from
PEERFORM_SECRET_<password_env> and is never printed).

--peering-api URL also asks the network's Peering API
(draft-ietf-grow-peering-api) for the same sessions, with a bearer token
from PEERFORM_SECRET_<--peering-api-token> (default PEERING_API_TOKEN),
and prints each session's id and status, read once or, with
--peering-api-wait, polled until it is established, rejected, down or
unestablished. PeeringDB has no field that
advertises a network's Peering API, so the URL must be given.

--propose local commits peers/AS<n>.hcl with status = "requested" on a
new local branch; --propose github opens it as a pull request
($GITHUB_TOKEN, --github-repo or $GITHUB_REPOSITORY). The file is
written as 'peerform init' writes peers and validated with the
repository before anything is sent. An existing requested peer file is
used as it is; a network that is already a peer is refused.

Exit status: 0 when the request was written (and sent), 1 when it cannot
be made (no PeeringDB record or contact, already a peer), 2 on usage or
internal errors.`,
		Example: `  # Look at the message
  peerform request AS64504

  # Write it to a file, and the peer file to a local branch
  peerform request AS64504 --out request.eml --propose local

  # Send it, ask the peer's Peering API, and open the pull request
  PEERFORM_SECRET_SMTP_PASSWORD=… PEERFORM_SECRET_PEERING_API_TOKEN=… \
    peerform request AS64504 --send --peering-api https://api.example.net/v0.1 --propose github`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			asn, err := bgp.ParseASN(args[0])
			if err != nil {
				return &usageError{err}
			}
			opts.peer = asn
			switch opts.proposeTo {
			case "":
			case "local":
				opts.propose.dryRun = true
			case "github":
			default:
				return usageErrorf("--propose %q: want local or github", opts.proposeTo)
			}
			if opts.apiWait < 0 || opts.apiWait > 24*time.Hour {
				return usageErrorf("--peering-api-wait: 0 to 24h")
			}
			if msg := secret.CheckName(opts.apiToken); msg != "" {
				return usageErrorf("--peering-api-token: %s", msg)
			}
			if err := opts.flags.resolve(cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return requestRun(cmd.Context(), opts)
		},
	}
	opts.flags.add(cmd)
	f := cmd.Flags()
	f.BoolVar(&opts.json, "json", false, "print the request as JSON (with the message id, and what was sent and proposed)")
	f.StringVar(&opts.out, "out", "", "write the message to `file` instead of printing it")
	f.StringVar(&opts.from, "from", "", "sender `address` when policies/ has no smtp block")
	f.BoolVar(&opts.send, "send", false, "submit the message through the policy's smtp block")
	f.StringVar(&opts.peeringAPI, "peering-api", "", "the network's Peering API `URL` (https): ask it for the sessions too")
	f.StringVar(&opts.apiToken, "peering-api-token", "PEERING_API_TOKEN", "secret `name` of the Peering API bearer token (PEERFORM_SECRET_<name>)")
	f.DurationVar(&opts.apiWait, "peering-api-wait", 0, "poll the Peering API this `long` (every 30s) until each session is established or rejected (default: read once)")
	f.StringVar(&opts.proposeTo, "propose", "", "propose the requested peer file: `local` (a new branch) or github (a pull request)")
	addProposeTargetFlags(f, &opts.propose)
	return cmd
}

func requestRun(ctx context.Context, opts *requestOptions) error {
	a := opts.app
	env, err := a.loadScoring(ctx, opts.flags)
	if err != nil {
		return err
	}
	if env.Repo == nil {
		return usageErrorf("request runs inside a peering repository (see --repo)")
	}
	net, ok := env.Store.Net(opts.peer)
	if !ok {
		return findingsf("%s is not in the PeeringDB data", opts.peer)
	}
	repo, peerFile, notes, diags, err := request.WithPeer(repofs.Dir(a.repoDir), env.Repo, net)
	if errors.Is(err, request.ErrAlreadyPeer) {
		return findingsf("%v", err)
	}
	if err != nil {
		if diags.HasErrors() {
			printDiagnostics(a, diags, repo)
		}
		return err
	}
	for _, n := range notes {
		fmt.Fprintf(a.io.ErrOut, "Note: %s\n", n)
	}
	r, err := env.Scorer.Profile(env.Ours, env.TrafficMbps)
	if err != nil {
		return notFound("our network", err)
	}
	c, err := env.Scorer.Profile(opts.peer, 0)
	if err != nil {
		return notFound("candidate", err)
	}
	exports, diags := pipeline.IXFExports(a.pipeline(), repo)
	if diags.HasErrors() {
		printDiagnostics(a, diags, repo)
		return findingsf("the IX-F exports the policies name cannot be read")
	}
	req, err := request.Build(request.Inputs{Repo: repo, PeeringDB: env.Store, IXF: exports, Peer: opts.peer, Score: env.Scorer.Score(r, c)})
	if err != nil {
		return findingsf("%v", err)
	}
	for _, n := range req.Notes {
		fmt.Fprintf(a.io.ErrOut, "Note: %s\n", n)
	}
	from := repo.SMTP.From
	if from == "" {
		from = opts.from
	}
	if from == "" {
		return usageErrorf("no sender: give --from, or add an smtp block with from to policies/")
	}
	seed := opts.idSeed
	if seed == "" {
		b := make([]byte, 16)
		rand.Read(b)
		seed = hex.EncodeToString(b)
	}
	msg, err := request.Compose(req, request.Envelope{From: from, Cc: repo.SMTP.Cc, Date: opts.now(), IDSeed: seed})
	if err != nil {
		return usageErrorf("%v", err)
	}
	// Everything the run needs is checked before anything is written,
	// proposed or sent.
	var smtp *request.Server
	if opts.send {
		if smtp, err = smtpServer(repo.SMTP); err != nil {
			return err
		}
	}
	var api *peeringapi.Client
	if opts.peeringAPI != "" {
		if api, err = peeringAPIClient(opts); err != nil {
			return err
		}
	}
	var result struct {
		FormatVersion int                     `json:"format_version"`
		Request       *request.Request        `json:"request"`
		MessageID     string                  `json:"message_id"`
		Recipients    []string                `json:"recipients"`
		Written       string                  `json:"written,omitempty"`
		Sent          bool                    `json:"sent"`
		PeeringAPI    []peeringapi.Session    `json:"peering_api_sessions,omitempty"`
		Rejected      []peeringapi.FieldError `json:"peering_api_rejected,omitempty"`
		Proposed      string                  `json:"proposed,omitempty"`
	}
	result.FormatVersion, result.Request, result.MessageID, result.Recipients = 1, req, msg.MessageID, msg.Recipients
	if opts.out != "" {
		if err := os.WriteFile(opts.out, msg.Data, 0o644); err != nil {
			return err
		}
		result.Written = opts.out
	}
	// The peer file is proposed first: nothing reaches the other network
	// when our own side of the request cannot be made.
	switch {
	case opts.proposeTo != "" && peerFile == nil:
		fmt.Fprintf(a.io.ErrOut, "Note: %s is already requested in the repository; nothing to propose.\n", opts.peer)
	case opts.proposeTo != "":
		ch := proposal.Change{
			Branch: opts.propose.branch, Title: fmt.Sprintf("Request peering with %s (%s)", opts.peer, req.Peer.Name),
			Body:  fmt.Sprintf("Asking %s to peer (message %s). The peer stays requested: nothing is configured until its status becomes active.", opts.peer, msg.MessageID),
			Write: map[string][]byte{peerFile.Path: peerFile.Data},
		}
		if ch.Branch == "" {
			ch.Branch = "peerform/request-" + opts.peer.String()
		}
		if result.Proposed, err = propose(ctx, a, opts.propose, ch); err != nil {
			return err
		}
	}
	if smtp != nil {
		if err := request.Send(ctx, *smtp, msg); err != nil {
			return err
		}
		result.Sent = true
	}
	if api != nil {
		res, err := askPeeringAPI(ctx, api, req, opts.apiWait)
		if err != nil {
			return err
		}
		result.PeeringAPI, result.Rejected = res.Sessions, res.Rejected
	}
	out := a.io.Out
	switch {
	case opts.json:
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(result)
	case opts.out == "" && !opts.send:
		_, err := out.Write(msg.Data)
		return err
	}
	if result.Written != "" {
		fmt.Fprintf(out, "Wrote the request for %s to %s (%s).\n", opts.peer, result.Written, msg.MessageID)
	}
	if result.Sent {
		fmt.Fprintf(out, "Sent the request for %s to %s.\n", opts.peer, strings.Join(msg.Recipients, ", "))
	}
	for _, s := range result.PeeringAPI {
		fmt.Fprintf(out, "Peering API: session %s %s -> %s at %s: %s\n", s.SessionID, s.LocalIP, s.PeerIP, s.Location.ID, s.Status)
	}
	for _, e := range result.Rejected {
		fmt.Fprintf(out, "Peering API rejected %s: %v\n", e.Name, e.Errors)
	}
	if result.Proposed != "" {
		fmt.Fprintf(out, "Proposed the requested peer file as %s.\n", result.Proposed)
	}
	return nil
}

// smtpServer is the policy's mail server with its password.
func smtpServer(cfg intent.SMTP) (*request.Server, error) {
	if cfg.Host == "" {
		return nil, usageErrorf("--send needs an smtp block in policies/ (docs/intents.md)")
	}
	s := &request.Server{SMTP: cfg}
	if cfg.PasswordEnv != "" {
		v, _, ok := secret.Lookup(os.LookupEnv, cfg.PasswordEnv)
		if !ok {
			return nil, usageErrorf("the smtp login needs %s, which is not set", secret.EnvVar(cfg.PasswordEnv))
		}
		s.Password = v
	}
	return s, nil
}

func peeringAPIClient(opts *requestOptions) (*peeringapi.Client, error) {
	token, _, ok := secret.Lookup(os.LookupEnv, opts.apiToken)
	if !ok {
		return nil, usageErrorf("--peering-api needs the bearer token in %s", secret.EnvVar(opts.apiToken))
	}
	c, err := peeringapi.New(opts.peeringAPI, token, 30*time.Second)
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	return c, nil
}

// askPeeringAPI asks for the request's sessions and reads back the
// status of those accepted, once or, for up to wait, until each is final.
// The peer configures its side in its own time; 'peerform check' follows
// the sessions once they are configured here.
func askPeeringAPI(ctx context.Context, c *peeringapi.Client, req *request.Request, wait time.Duration) (*peeringapi.Result, error) {
	ss := req.APISessions()
	if len(ss) == 0 {
		return nil, findingsf("no session to ask the Peering API for: none is at an exchange with a PeeringDB id")
	}
	res, err := c.Submit(ctx, ss)
	if err != nil {
		return nil, err
	}
	pollCtx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	for i, s := range res.Sessions {
		if wait == 0 {
			res.Sessions[i], err = c.Status(ctx, s.SessionID)
		} else {
			res.Sessions[i], err = c.Poll(pollCtx, s.SessionID, 30*time.Second)
		}
		if err != nil {
			return nil, err
		}
	}
	return res, nil
}
