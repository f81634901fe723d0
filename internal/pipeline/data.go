package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/core/model"
	"github.com/peerform/peerform/internal/repo/repofs"
	"github.com/peerform/peerform/internal/sources/irr"
	"github.com/peerform/peerform/internal/sources/ixf"
	"github.com/peerform/peerform/internal/sources/peeringdb"
	"github.com/peerform/peerform/internal/sources/rpki"
)

// LoadModel loads the intents of the working tree (fsys, the repository
// directory), fetches the outside data they need (see dataLoader) and
// resolves them into the model. Validation errors, and committed data
// that cannot be read, are returned as diagnostics with a nil model; an
// error means live data could not be loaded at all.
func LoadModel(ctx context.Context, o Options, fsys fs.FS) (*model.Model, *intent.Repo, hcl.Diagnostics, error) {
	repo, diags := intent.Load(fsys)
	if diags.HasErrors() {
		return nil, repo, diags, nil
	}
	st := &State{label: "working tree", fsys: fsys, dir: o.Dir}
	l := newDataLoader(o, model.ImportRefs(repo))
	in, more, err := l.inputs(ctx, st, repo)
	diags = append(diags, more...)
	if err != nil || diags.HasErrors() {
		return nil, repo, diags, err
	}
	m, more := model.Build(repo, in)
	diags = append(diags, more...)
	if diags.HasErrors() {
		return nil, repo, diags, nil
	}
	return m, repo, diags, nil
}

// IXFExports loads the IX-F exports the working tree's IXPs name, as
// LoadModel does, for a command that resolves a changed copy of the
// intents itself (request). Skipped entries are warnings; an export that
// cannot be read is an error diagnostic.
func IXFExports(o Options, repo *intent.Repo) (map[string]*ixf.Export, hcl.Diagnostics) {
	r := newDataLoader(o, nil).ixfExports(WorktreeState(o), repo.IXPs)
	return r.ixf, r.diags
}

// CheckAgainstData resolves valid intents against PeeringDB (the
// repository's snapshot, the cache, or --peeringdb) and the VRPs, and
// returns what that finds: data files that cannot be read, peers at none
// of our IXPs, PeeringDB addresses outside the LANs or claimed by two
// peers, max-prefix counts missing. The IRR is not asked: validation must
// be fast and work offline; the review reports IRR findings.
func CheckAgainstData(ctx context.Context, o Options, repo *intent.Repo) (hcl.Diagnostics, error) {
	in, diags, err := newDataLoader(o, nil).inputs(ctx, WorktreeState(o), repo)
	if err != nil || diags.HasErrors() {
		return diags, err
	}
	_, more := model.Build(repo, in)
	return append(diags, more...), nil
}

// dataLoader loads the outside data that states of a repository are
// built from, as each state's policies (and the global flags) say:
//
//   - PeeringDB from --peeringdb (for every state), else the state's own
//     peeringdb.snapshot, else the cache (see `peerform peeringdb --help`);
//     no data at all is a warning, and sessions then come from the peer
//     files only;
//   - the IRR expansion of refs from the state's irr.snapshot files (also
//     with --offline), else from its servers through the answer cache in
//     .peerform/irr/; with --offline and no snapshot nothing is asked and
//     every peer is deny-all, with a warning; nil refs skip the IRR
//     altogether (the model then says "no IRR data was loaded");
//   - VRPs from the state's rpki.vrps_file (with its SLURM exceptions);
//   - the IX-F member exports its ixp blocks name (ixf_export).
//
// Files a state's policies name are read from that state (a commit's
// tree, or the working tree). Live data — the PeeringDB API or cache,
// IRR servers — is fetched once and shared by every state with the same
// settings. Every load is kept by content, so states with the same data
// share one load and their sources have the same digest.
//
// Committed data that cannot be read is an error diagnostic naming the
// file: the repository is wrong. Live data that cannot be fetched is an
// error: the command cannot do its job.
type dataLoader struct {
	o    Options
	refs []bgp.ObjectRef
	done map[string]loaded
}

// loaded is one load, kept for the next state that needs the same data.
type loaded struct {
	src   model.DataSource
	pdb   *peeringdb.Store
	irr   map[bgp.ObjectRef]irr.Result
	rpki  *rpki.Table
	aspas *rpki.ASPAs
	ixf   map[string]*ixf.Export
	diags hcl.Diagnostics
	err   error
}

func newDataLoader(o Options, refs []bgp.ObjectRef) *dataLoader {
	return &dataLoader{o: o, refs: refs, done: map[string]loaded{}}
}

// once runs load the first time key is asked for and keeps its result.
func (l *dataLoader) once(key string, load func() loaded) loaded {
	if r, ok := l.done[key]; ok {
		return r
	}
	r := load()
	if r.src.Digest == "" {
		r.src.Digest = key
	}
	l.done[key] = r
	return r
}

// inputs loads the data of one state whose policies are settings.
func (l *dataLoader) inputs(ctx context.Context, st *State, settings *intent.Repo) (model.Inputs, hcl.Diagnostics, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	var in model.Inputs
	var diags hcl.Diagnostics
	for _, step := range []func() loaded{
		func() loaded { return l.peeringDB(ctx, st, settings.PeeringDB) },
		func() loaded { return l.irrData(ctx, st, settings.IRR, settings.Network.AllowPeerASN) },
		func() loaded { return l.vrps(st, settings.RPKI) },
		func() loaded { return l.ixfExports(st, settings.IXPs) },
	} {
		r := step()
		diags = append(diags, r.diags...)
		if r.err != nil {
			return in, diags, r.err
		}
		switch r.src.Kind {
		case "PeeringDB":
			in.PeeringDB, in.Data.PeeringDB = r.pdb, r.src
		case "IRR":
			in.IRR, in.Data.IRR = r.irr, r.src
		case "RPKI":
			in.RPKI, in.ASPAs, in.Data.RPKI = r.rpki, r.aspas, r.src
		case "IX-F":
			in.IXF, in.Data.IXF = r.ixf, r.src
		}
	}
	return in, diags, nil
}

// committed turns the failure to read a data file of the repository into
// an error diagnostic at that file; paths under a commit's scratch copy
// are shown repository-relative.
func committed(kind, file, root string, err error) loaded {
	msg := err.Error()
	if root != "" {
		msg = strings.ReplaceAll(msg, root+string(filepath.Separator), "")
	}
	at := file
	// A snapshot directory: point at the file inside it that failed.
	if i := strings.Index(msg, file+"/"); i >= 0 {
		at = msg[i:]
		if j := strings.IndexAny(at, ": "); j >= 0 {
			at = at[:j]
		}
	}
	return loaded{src: model.DataSource{Kind: kind, Name: "unreadable " + file}, diags: hcl.Diagnostics{{
		Severity: hcl.DiagError, Summary: kind + " data cannot be read",
		Detail:  fmt.Sprintf("%s, which the policies name, cannot be loaded: %s. Fix or replace the file; nothing can be rendered from it.", file, msg),
		Subject: &hcl.Range{Filename: at, Start: hcl.InitialPos, End: hcl.InitialPos},
	}}}
}

// committedFiles makes a state's data files readable (see dataRoot) and
// digests their content; failed is what to return when they cannot be.
func committedFiles(st *State, kind string, files []string) (root, key string, failed *loaded) {
	root, err := st.dataRoot(files...)
	if err == nil {
		key, err = digest(root, files)
	}
	if err != nil {
		l := committed(kind, strings.Join(files, ", "), root, err)
		return root, "", &l
	}
	return root, key, nil
}

func warning(summary, format string, args ...any) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: summary, Detail: fmt.Sprintf(format, args...)}
}

func (l *dataLoader) peeringDB(ctx context.Context, st *State, cfg intent.PeeringDB) loaded {
	const kind = "PeeringDB"
	if l.o.PeeringDB == "" && cfg.Snapshot != "" {
		root, err := st.dataRoot(cfg.Snapshot)
		var key string
		if err == nil {
			key, err = digest(root, []string{cfg.Snapshot})
		}
		switch {
		case errors.Is(err, fs.ErrNotExist):
			r := l.livePeeringDB(ctx, cfg)
			r.diags = append(slices.Clip(r.diags), warning("PeeringDB snapshot missing",
				"peeringdb.snapshot names %s, which %s does not have; the PeeringDB cache is used instead.", cfg.Snapshot, st.label))
			return r
		case err != nil:
			return committed(kind, cfg.Snapshot, root, err)
		}
		return l.once("pdb snapshot "+key, func() loaded {
			store, err := peeringdb.Loader{Logger: l.o.logger()}.LoadDir(filepath.Join(root, filepath.FromSlash(cfg.Snapshot)))
			if err != nil {
				return committed(kind, cfg.Snapshot, root, err)
			}
			meta := store.Meta()
			src := model.DataSource{Kind: kind, Name: cfg.Snapshot, Files: []string{cfg.Snapshot}, Digest: key,
				Time: cmp.Or(meta.Generated, meta.Synced, meta.Newest), Counts: pdbCounts(meta)}
			return loaded{src: src, pdb: store}
		})
	}
	return l.livePeeringDB(ctx, cfg)
}

// livePeeringDB is --peeringdb, or the cache: the same for every state.
func (l *dataLoader) livePeeringDB(ctx context.Context, cfg intent.PeeringDB) loaded {
	return l.once("pdb live "+l.o.PeeringDB+" "+cfg.Cache, func() loaded {
		src := model.DataSource{Kind: "PeeringDB", Live: true}
		store, err := l.o.OpenPeeringDB(ctx, intent.PeeringDB{Cache: cfg.Cache})
		switch {
		case errors.Is(err, peeringdb.ErrNoData):
			src.Name = "none"
			return loaded{src: src, diags: hcl.Diagnostics{warning("No PeeringDB data", "%v. Sessions come from the peer files only.", err)}}
		case err != nil:
			return loaded{src: src, err: fmt.Errorf("PeeringDB: %w", err)}
		}
		meta := store.Meta()
		src.Name = meta.Source
		if rel, err := filepath.Rel(l.o.Dir, meta.Source); err == nil && filepath.IsLocal(rel) {
			src.Name = filepath.ToSlash(rel)
		}
		src.Time, src.Counts = cmp.Or(meta.Generated, meta.Synced, meta.Newest), pdbCounts(meta)
		return loaded{src: src, pdb: store}
	})
}

// pdbCounts are the PeeringDB object counts a change description cites.
func pdbCounts(meta peeringdb.Meta) []model.Count {
	var out []model.Count
	for _, typ := range []string{"net", "ix", "ixlan", "ixpfx", "netixlan", "fac", "netfac"} {
		out = append(out, model.Count{What: typ + " records", N: meta.Counts[typ]})
	}
	return out
}

// allow are the ASN classes besides public ones that the state's policy
// lets peers use; the other bogon ASNs are dropped from sets.
func (l *dataLoader) irrData(ctx context.Context, st *State, cfg intent.IRR, allow []bgp.Class) loaded {
	const kind = "IRR"
	switch {
	case l.refs == nil:
		return loaded{src: model.DataSource{Kind: kind}}
	case len(l.refs) == 0:
		return loaded{src: model.DataSource{Kind: kind}, irr: map[bgp.ObjectRef]irr.Result{}}
	case len(cfg.Snapshot) > 0:
		root, err := st.dataRoot(cfg.Snapshot...)
		var key string
		if err == nil {
			key, err = digest(root, cfg.Snapshot, cfg.Sources...)
		}
		if err != nil {
			return committed(kind, strings.Join(cfg.Snapshot, ", "), root, err)
		}
		return l.once(fmt.Sprintf("irr snapshot %s %v", key, allow), func() loaded { return l.irrSnapshot(ctx, root, key, cfg, allow) })
	case l.o.Offline:
		return loaded{src: model.DataSource{Kind: kind, Name: "none (offline)", Live: true}, diags: hcl.Diagnostics{warning("No IRR data (--offline)",
			"--offline forbids asking the IRR, so no prefix list is known and every peer is rendered deny-all. Run without --offline to expand %d AS-SET(s), or set irr.snapshot to expand from RPSL files.", len(l.refs))}}
	}
	servers := cfg.Servers
	if len(servers) == 0 {
		servers = []string{irr.DefaultServer}
	}
	return l.once(fmt.Sprintf("irr servers %q %q %s %v", servers, cfg.Sources, cfg.CacheTTL, allow), func() loaded {
		src := model.DataSource{Kind: kind, Name: strings.Join(servers, ", ") + irrSourcesSuffix(cfg.Sources), Live: true}
		ttl := cfg.CacheTTL
		if ttl <= 0 {
			ttl = time.Hour
		}
		cache, err := irr.OpenCache(filepath.Join(l.o.Dir, irr.DefaultCacheDir), irr.CacheOptions{TTL: ttl})
		if err != nil {
			return loaded{src: src, err: err}
		}
		client, err := irr.New(irr.Options{Servers: cfg.Servers, Sources: cfg.Sources, Cache: cache, AllowASN: allow, Logger: l.o.logger()})
		if err != nil {
			return loaded{src: src, err: fmt.Errorf("irr: %w", err)}
		}
		if l.o.Progress != nil {
			fmt.Fprintf(l.o.Progress, "Expanding %d AS-SET(s) via %s…\n", len(l.refs), servers[0])
		}
		res := client.Expand(ctx, l.refs)
		for _, r := range res {
			if !r.Fetched.IsZero() && (src.Time.IsZero() || r.Fetched.Before(src.Time)) {
				src.Time = r.Fetched
			}
		}
		return loaded{src: src, irr: res}
	})
}

// irrSnapshot expands the refs in process from RPSL files, which are part
// of the repository (or put next to it by the job).
func (l *dataLoader) irrSnapshot(ctx context.Context, root, key string, cfg intent.IRR, allow []bgp.Class) loaded {
	files := cfg.Snapshot
	if l.o.Progress != nil {
		fmt.Fprintf(l.o.Progress, "Expanding %d AS-SET(s) from %s…\n", len(l.refs), strings.Join(files, ", "))
	}
	db, rep, err := irr.LoadSnapshots(ctx, files, irr.LoadOptions{BaseDir: root, Logger: l.o.logger()})
	if err != nil {
		return committed("IRR", strings.Join(files, ", "), root, err)
	}
	r := loaded{src: model.DataSource{Kind: "IRR", Name: "snapshot " + strings.Join(files, ", ") + irrSourcesSuffix(cfg.Sources),
		Files: slices.Clone(files), Digest: key,
		Counts: []model.Count{{What: "route objects", N: rep.Routes + rep.Routes6}, {What: "AS-SETs", N: rep.Sets}}}}
	if len(rep.Warnings) > 0 {
		r.diags = append(r.diags, warning("Parts of the IRR snapshot ignored", "Reading %s: %s.", strings.Join(files, ", "), strings.Join(rep.Warnings, "; ")))
	}
	client, err := irr.New(irr.Options{DB: db, Sources: cfg.Sources, AllowASN: allow, Logger: l.o.logger()})
	if err != nil {
		return loaded{src: r.src, err: fmt.Errorf("irr.snapshot: %w", err)}
	}
	r.irr = client.Expand(ctx, l.refs)
	return r
}

func irrSourcesSuffix(sources []string) string {
	if len(sources) == 0 {
		return ""
	}
	return " (" + strings.Join(sources, ",") + ")"
}

// vrps loads the state's rpki.vrps_file with its SLURM exceptions, if it
// names one.
func (l *dataLoader) vrps(st *State, cfg intent.RPKI) loaded {
	const kind = "RPKI"
	if cfg.VRPsFile == "" {
		return loaded{src: model.DataSource{Kind: kind, Name: "none"}}
	}
	files := []string{cfg.VRPsFile}
	if cfg.SLURM != "" {
		files = append(files, cfg.SLURM)
	}
	root, key, failed := committedFiles(st, kind, files)
	if failed != nil {
		return *failed
	}
	return l.once("rpki "+key, func() loaded {
		table, aspas, rep, err := loadVRPs(root, cfg.VRPsFile, cfg.SLURM)
		if err != nil {
			return committed(kind, strings.Join(files, ", "), root, err)
		}
		name := cfg.VRPsFile
		if cfg.SLURM != "" {
			name += " with " + cfg.SLURM
		}
		src := model.DataSource{Kind: kind, Name: name, Files: files, Digest: key, Time: rep.Generated,
			Counts: []model.Count{{What: "VRPs", N: table.Len()}}}
		if aspas.Len() > 0 {
			src.Counts = append(src.Counts, model.Count{What: "ASPAs", N: aspas.Len()})
		}
		return loaded{rpki: table, aspas: aspas, src: src}
	})
}

// maxIXFProblems is how many skipped entries of one IX-F export become
// diagnostics of their own; the rest are counted in one more.
const maxIXFProblems = 20

// ixfExports loads the IX-F member exports the state's IXPs name, each
// file once. Entries of a file that were skipped are warnings at their
// line; a file that cannot be read at all is an error at the file (at
// its line, when the problem has one).
func (l *dataLoader) ixfExports(st *State, ixps []*intent.IXP) loaded {
	const kind = "IX-F"
	var files []string
	for _, x := range ixps {
		if x.IXF.File != "" && !slices.Contains(files, x.IXF.File) {
			files = append(files, x.IXF.File)
		}
	}
	if len(files) == 0 {
		return loaded{src: model.DataSource{Kind: kind}}
	}
	slices.Sort(files)
	root, key, failed := committedFiles(st, kind, files)
	if failed != nil {
		return *failed
	}
	return l.once("ixf "+key, func() loaded {
		r := loaded{src: model.DataSource{Kind: kind, Name: strings.Join(files, ", "), Files: files, Digest: key}, ixf: map[string]*ixf.Export{}}
		members := 0
		for _, f := range files {
			e, err := ixf.ReadFile(root, f, ixf.Limits{})
			if err != nil {
				var fe *ixf.Error
				pos := hcl.InitialPos
				if errors.As(err, &fe) && fe.Line > 0 {
					pos = hcl.Pos{Line: fe.Line, Column: fe.Col}
				}
				r.diags = append(r.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "IX-F export cannot be read",
					Detail:  fmt.Sprintf("%s, which the policies name, cannot be loaded: %v. Fix or replace the file; no peer address is read from it.", f, err),
					Subject: &hcl.Range{Filename: f, Start: pos, End: pos}})
				continue
			}
			r.ixf[f] = e
			members += len(e.Members)
			if r.src.Time.IsZero() || e.Timestamp.Before(r.src.Time) {
				r.src.Time = e.Timestamp
			}
			for i, p := range e.Problems {
				if i == maxIXFProblems {
					r.diags = append(r.diags, warning("IX-F export entries skipped", "%s: %d more entries or values were skipped; peerform ixf show %s lists them.", f, len(e.Problems)-i, f))
					break
				}
				pos := hcl.Pos{Line: p.Line, Column: 1}
				r.diags = append(r.diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "IX-F export entry skipped",
					Detail: fmt.Sprintf("%s: %s.", p.Path, p.Message), Subject: &hcl.Range{Filename: f, Start: pos, End: pos}})
			}
		}
		r.src.Counts = []model.Count{{What: "IX-F members", N: members}}
		return r
	})
}

// loadVRPs reads a VRP file of the repository, with its ASPAs, and
// applies its SLURM exceptions to the VRPs, if any; both are read as
// repository files (repofs).
func loadVRPs(repoDir, file, slurm string) (*rpki.Table, *rpki.ASPAs, rpki.LoadReport, error) {
	f, err := repofs.Open(repoDir, file)
	if err != nil {
		return nil, nil, rpki.LoadReport{}, fmt.Errorf("loading VRPs: %w", err)
	}
	defer f.Close()
	p, rep, err := rpki.LoadPayloads(f, rpki.LoadOptions{})
	if err != nil {
		return nil, nil, rep, fmt.Errorf("loading VRPs from %s: %w", file, err)
	}
	vrps := p.VRPs
	if slurm != "" {
		sf, err := repofs.Open(repoDir, slurm)
		if err != nil {
			return nil, nil, rep, fmt.Errorf("loading SLURM: %w", err)
		}
		defer sf.Close()
		s, err := rpki.LoadSLURM(sf)
		if err != nil {
			return nil, nil, rep, fmt.Errorf("loading SLURM %s: %w", slurm, err)
		}
		vrps, _ = s.Apply(vrps)
	}
	return rpki.NewTable(vrps), p.ASPAs, rep, nil
}

// PeeringDBSource turns the options and the policy's peeringdb block into
// a source.
func (o Options) PeeringDBSource(cfg intent.PeeringDB, progress func(peeringdb.Progress)) peeringdb.Source {
	return peeringdb.Source{
		Spec: o.PeeringDB, RepoDir: o.Dir, Snapshot: cfg.Snapshot, CacheDir: cfg.Cache, Offline: o.Offline,
		Logger: o.logger(),
		Client: peeringdb.ClientOptions{
			APIKey: peeringdb.APIKey(os.Getenv(peeringdb.APIKeyEnv)), Logger: o.logger(),
			UserAgent: "peerform", Offline: o.Offline, Progress: progress,
		},
	}
}

// OpenPeeringDB loads the PeeringDB data a command uses, as --peeringdb
// and --offline say (see `peerform peeringdb --help`). Commands that have
// loaded the repository pass its PeeringDB block. Sync progress goes to
// Progress.
func (o Options) OpenPeeringDB(ctx context.Context, cfg intent.PeeringDB) (*peeringdb.Store, error) {
	var progress func(peeringdb.Progress)
	if o.Progress != nil {
		progress = func(p peeringdb.Progress) { fmt.Fprintf(o.Progress, "PeeringDB: %s\n", p.Message) }
	}
	if ctx == nil {
		ctx = context.Background()
	}
	return peeringdb.Open(ctx, o.PeeringDBSource(cfg, progress))
}
