package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/peerctl/peerctl/bgp"
	"github.com/peerctl/peerctl/intent"
	"github.com/peerctl/peerctl/irr"
	"github.com/peerctl/peerctl/model"
	"github.com/peerctl/peerctl/peeringdb"
	"github.com/peerctl/peerctl/repofs"
	"github.com/peerctl/peerctl/rpki"
)

// loadModel loads the intents in fsys, fetches the outside data they need
// (see loadInputs) and resolves them into the model. Validation errors are
// returned as diagnostics with a nil model; an error means the data could
// not be loaded at all.
func loadModel(ctx context.Context, a *app, fsys fs.FS) (*model.Model, *intent.Repo, hcl.Diagnostics, error) {
	repo, diags := intent.Load(fsys)
	if diags.HasErrors() {
		return nil, repo, diags, nil
	}
	in, more, err := loadInputs(ctx, a, repo, model.ImportRefs(repo))
	diags = append(diags, more...)
	if err != nil {
		return nil, repo, diags, err
	}
	m, more := model.Build(repo, in)
	return m, repo, append(diags, more...), nil
}

// loadInputs fetches the outside data a model is built from, as the
// repository's policies (settings) and the global flags say:
//
//   - PeeringDB from --peeringdb, else the policy's snapshot, else the
//     cache (see `peerctl peeringdb --help`); no data at all is a warning,
//     and sessions then come from the peer files only;
//   - the IRR expansion of refs from the policy's irr.snapshot files
//     (also with --offline), else from its servers through the answer
//     cache in .peerctl/irr/; with --offline and no snapshot nothing is
//     asked and every peer is deny-all, with a warning; nil refs skip the IRR
//     altogether (the model then says "no IRR data was loaded");
//   - VRPs from the policy's rpki.vrps_file (with its SLURM exceptions),
//     if it names one.
//
// Plans call it once for both states of a repository so that the diff
// shows what the change to the intents does, not what the world did.
func loadInputs(ctx context.Context, a *app, settings *intent.Repo, refs []bgp.ObjectRef) (model.Inputs, hcl.Diagnostics, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	var in model.Inputs
	var diags hcl.Diagnostics
	warn := func(summary, format string, args ...any) {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: summary, Detail: fmt.Sprintf(format, args...)})
	}

	store, err := a.openPeeringDB(ctx, settings.PeeringDB)
	switch {
	case errors.Is(err, peeringdb.ErrNoData):
		warn("No PeeringDB data", "%v. Sessions come from the peer files only.", err)
	case err != nil:
		return in, diags, fmt.Errorf("PeeringDB: %w", err)
	default:
		in.PeeringDB = store
		meta := store.Meta()
		in.Data.PeeringDB, in.Data.PeeringDBTime = meta.Source, meta.Generated
		if in.Data.PeeringDBTime.IsZero() {
			in.Data.PeeringDBTime = meta.Synced
		}
	}

	if err := loadIRR(ctx, a, settings, refs, &in, warn); err != nil {
		return in, diags, err
	}

	if f := settings.RPKI.VRPsFile; f != "" {
		table, rep, err := loadVRPs(a.repoDir, f, settings.RPKI.SLURM)
		if err != nil {
			return in, diags, fmt.Errorf("rpki.vrps_file: %w", err)
		}
		in.RPKI = table
		in.Data.RPKI, in.Data.RPKITime = fmt.Sprintf("%s (%d VRPs)", f, table.Len()), rep.Generated
	}
	return in, diags, nil
}

func loadIRR(ctx context.Context, a *app, settings *intent.Repo, refs []bgp.ObjectRef, in *model.Inputs, warn func(string, string, ...any)) error {
	if refs == nil {
		return nil
	}
	if len(refs) == 0 {
		in.IRR = map[bgp.ObjectRef]irr.Result{}
		return nil
	}
	if len(settings.IRR.Snapshot) > 0 {
		return loadIRRSnapshot(ctx, a, settings, refs, in, warn)
	}
	if a.offline {
		warn("No IRR data (--offline)", "--offline forbids asking the IRR, so no prefix list is known and every peer is rendered deny-all. Run without --offline to expand %d AS-SET(s), or set irr.snapshot to expand from RPSL files.", len(refs))
		in.Data.IRR = "none (offline)"
		return nil
	}
	ttl := settings.IRR.CacheTTL
	if ttl <= 0 {
		ttl = time.Hour
	}
	cache, err := irr.OpenCache(filepath.Join(a.repoDir, irr.DefaultCacheDir), irr.CacheOptions{TTL: ttl})
	if err != nil {
		return err
	}
	client, err := irr.New(irr.Options{Servers: settings.IRR.Servers, Sources: settings.IRR.Sources, Cache: cache,
		AllowASN: settings.Network.AllowPeerASN, Logger: a.logger()})
	if err != nil {
		return fmt.Errorf("irr: %w", err)
	}
	servers := settings.IRR.Servers
	if len(servers) == 0 {
		servers = []string{irr.DefaultServer}
	}
	if a.io.ErrTTY {
		fmt.Fprintf(a.io.ErrOut, "Expanding %d AS-SET(s) via %s…\n", len(refs), servers[0])
	}
	in.IRR = client.Expand(ctx, refs)
	in.Data.IRR = strings.Join(servers, ", ") + irrSourcesSuffix(settings.IRR.Sources)
	for _, r := range in.IRR {
		if !r.Fetched.IsZero() && (in.Data.IRRTime.IsZero() || r.Fetched.Before(in.Data.IRRTime)) {
			in.Data.IRRTime = r.Fetched
		}
	}
	return nil
}

// loadIRRSnapshot expands refs in process from the policy's RPSL files,
// which are part of the repository (or put next to it by the job): one
// that cannot be read is an error, like a missing rpki.vrps_file.
func loadIRRSnapshot(ctx context.Context, a *app, settings *intent.Repo, refs []bgp.ObjectRef, in *model.Inputs, warn func(string, string, ...any)) error {
	files := settings.IRR.Snapshot
	if a.io.ErrTTY {
		fmt.Fprintf(a.io.ErrOut, "Expanding %d AS-SET(s) from %s…\n", len(refs), strings.Join(files, ", "))
	}
	db, rep, err := irr.LoadSnapshots(ctx, files, irr.LoadOptions{BaseDir: a.repoDir, Logger: a.logger()})
	if err != nil {
		return fmt.Errorf("irr.snapshot: %w", err)
	}
	if len(rep.Warnings) > 0 {
		warn("Parts of the IRR snapshot ignored", "Reading %s: %s.", strings.Join(files, ", "), strings.Join(rep.Warnings, "; "))
	}
	client, err := irr.New(irr.Options{DB: db, Sources: settings.IRR.Sources, AllowASN: settings.Network.AllowPeerASN, Logger: a.logger()})
	if err != nil {
		return fmt.Errorf("irr.snapshot: %w", err)
	}
	in.IRR = client.Expand(ctx, refs)
	in.Data.IRR = "snapshot " + strings.Join(files, ", ") + irrSourcesSuffix(settings.IRR.Sources)
	return nil
}

func irrSourcesSuffix(sources []string) string {
	if len(sources) == 0 {
		return ""
	}
	return " (" + strings.Join(sources, ",") + ")"
}

// loadVRPs reads a VRP file of the repository and applies its SLURM
// exceptions, if any; both are read as repository files (repofs).
func loadVRPs(repoDir, file, slurm string) (*rpki.Table, rpki.LoadReport, error) {
	f, err := repofs.Open(repoDir, file)
	if err != nil {
		return nil, rpki.LoadReport{}, fmt.Errorf("loading VRPs: %w", err)
	}
	defer f.Close()
	vrps, rep, err := rpki.LoadJSON(f, rpki.LoadOptions{})
	if err != nil {
		return nil, rep, fmt.Errorf("loading VRPs from %s: %w", file, err)
	}
	if slurm != "" {
		sf, err := repofs.Open(repoDir, slurm)
		if err != nil {
			return nil, rep, fmt.Errorf("loading SLURM: %w", err)
		}
		defer sf.Close()
		s, err := rpki.LoadSLURM(sf)
		if err != nil {
			return nil, rep, fmt.Errorf("loading SLURM %s: %w", slurm, err)
		}
		vrps, _ = s.Apply(vrps)
	}
	return rpki.NewTable(vrps), rep, nil
}

// printDiagnostics writes diagnostics to stderr the way validate does.
func printDiagnostics(a *app, diags hcl.Diagnostics, repo *intent.Repo) {
	if len(diags) == 0 {
		return
	}
	var files map[string]*hcl.File
	if repo != nil {
		files = repo.Files
	}
	if err := intent.WriteText(a.io.ErrOut, diags, files, a.io.ErrTTY); err != nil {
		fmt.Fprintln(a.io.ErrOut, diags.Error())
	}
}
