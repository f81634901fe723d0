package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/repo/repofs"
	"github.com/peerform/peerform/internal/sources/rpki"
)

func newCmdRPKI(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "rpki <command>",
		GroupID: "data",
		Short:   "Check route origins against RPKI (RTR caches or VRP files)",
		Long: `The rpki commands read Validated ROA Payloads from an RPKI-to-Router cache
(RFC 8210: stayrtr, Routinator and others) or from a JSON VRP
file (rpki-client, Routinator), apply SLURM exceptions (RFC 8416), and do
route origin validation (RFC 6811).

Without --rtr or --vrps they use the rpki block of the repository's policies
(validate prefers the VRP file when both are set; status shows every source):

  rpki {
    rtr       = ["rpki1.example.net:323", "rpki2.example.net:323"]
    vrps_file = "data/rpki/vrps.json"
    slurm     = "policies/slurm.json"
  }`,
	}
	cmd.AddCommand(newCmdRPKIValidate(a, nil), newCmdRPKIStatus(a, nil))
	return cmd
}

// rpkiSource is where the rpki commands take VRPs from: flags, or the
// repository's rpki block when no flag names a source.
type rpkiSource struct {
	rtr     []string
	vrps    string
	slurm   string
	timeout time.Duration
	// repoDir is set when vrps or slurm came from the policies: they are
	// then read as files of that repository (repofs).
	repoDir string
}

// open opens a VRP or SLURM file named by a flag or by the policies.
func (s *rpkiSource) open(name string) (*os.File, error) {
	if s.repoDir != "" {
		return repofs.Open(s.repoDir, name)
	}
	return os.Open(name)
}

func (s *rpkiSource) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringArrayVar(&s.rtr, "rtr", nil, "RTR cache `host:port` (repeatable; default: the repository's rpki.rtr)")
	f.StringVar(&s.vrps, "vrps", "", "rpki-client or Routinator JSON VRP `file` instead of an RTR cache")
	f.StringVar(&s.slurm, "slurm", "", "RFC 8416 SLURM exceptions `file` (default: the repository's rpki.slurm)")
	f.DurationVar(&s.timeout, "timeout", 2*time.Minute, "give up on a cache after this long")
}

// resolve fills the source from the repository's policies when no flag
// gave one. Paths from the repository are relative to it.
func (s *rpkiSource) resolve(a *app) error {
	if s.timeout <= 0 {
		return usageErrorf("--timeout must be positive")
	}
	if len(s.rtr) == 0 && s.vrps == "" {
		repo, _ := intent.LoadDir(a.repoDir) // errors elsewhere in the policies do not matter here
		cfg := repo.RPKI
		s.rtr = cfg.RTR
		s.vrps = cfg.VRPsFile
		if s.slurm == "" && cfg.SLURM != "" {
			s.slurm = cfg.SLURM
		}
		if s.vrps != "" || s.slurm != "" {
			s.repoDir = a.repoDir
		}
	}
	if len(s.rtr) == 0 && s.vrps == "" {
		return usageErrorf("no VRP source: give --rtr or --vrps, or set rpki { rtr = [...] } or vrps_file in %s", filepath.Join(a.repoDir, intent.PoliciesDir))
	}
	if len(s.rtr) > 0 && s.vrps == "" && a.offline {
		return usageErrorf("--offline forbids contacting the RTR cache %s; use --vrps", s.rtr[0])
	}
	return nil
}

func (s *rpkiSource) loadSLURM() (*rpki.SLURM, error) {
	if s.slurm == "" {
		return nil, nil
	}
	f, err := s.open(s.slurm)
	if err != nil {
		return nil, fmt.Errorf("loading SLURM: %w", err)
	}
	defer f.Close()
	sl, err := rpki.LoadSLURM(f)
	if err != nil {
		return nil, fmt.Errorf("loading SLURM %s: %w", s.slurm, err)
	}
	return sl, nil
}

// rpkiData is a VRP table and where it came from.
type rpkiData struct {
	Table  *rpki.Table
	ASPAs  *rpki.ASPAs
	Source string           // "rtr" or "file"
	Where  string           // cache address or file path
	Snap   *rpki.Snapshot   // RTR only
	Report *rpki.LoadReport // file only
}

// fetch loads the table from the VRP file if there is one, else from the
// first RTR cache that answers.
func (s *rpkiSource) fetch(ctx context.Context, a *app) (*rpkiData, error) {
	slurm, err := s.loadSLURM()
	if err != nil {
		return nil, err
	}
	if s.vrps != "" {
		f, err := s.open(s.vrps)
		if err != nil {
			return nil, fmt.Errorf("loading VRPs: %w", err)
		}
		defer f.Close()
		p, rep, err := rpki.LoadPayloads(f, rpki.LoadOptions{})
		if err != nil {
			return nil, fmt.Errorf("loading VRPs from %s: %w", s.vrps, err)
		}
		vrps, _ := slurm.Apply(p.VRPs)
		return &rpkiData{Table: rpki.NewTable(vrps), ASPAs: p.ASPAs, Source: "file", Where: s.vrps, Report: &rep}, nil
	}
	var errs []error
	for i, addr := range s.rtr {
		if a.io.ErrTTY {
			fmt.Fprintf(a.io.ErrOut, "Fetching VRPs from %s…\n", addr)
		}
		snap, err := rpki.Fetch(ctx, rpki.Config{Addr: addr, Timeout: s.timeout, DialTimeout: min(s.timeout, 10*time.Second), SLURM: slurm, Logger: a.logger()})
		if err == nil {
			return &rpkiData{Table: snap.Table, ASPAs: snap.ASPAs, Source: "rtr", Where: addr, Snap: snap}, nil
		}
		if i < len(s.rtr)-1 {
			fmt.Fprintf(a.io.ErrOut, "warning: %v; trying the next cache\n", err)
		}
		errs = append(errs, err)
	}
	if len(errs) == 1 {
		return nil, errs[0]
	}
	return nil, fmt.Errorf("none of %d RTR caches answered: %w", len(errs), errors.Join(errs...))
}

// describe says where the data came from, for the end of a report.
func (d *rpkiData) describe() string {
	if d.Snap != nil {
		return fmt.Sprintf("%d VRPs from RTR cache %s (session %d, serial %d)", d.Table.Len(), d.Where, d.Snap.SessionID, d.Snap.Serial)
	}
	return fmt.Sprintf("%d VRPs from file %s", d.Table.Len(), d.Where)
}

// age prints how long ago t was, in the largest sensible unit.
func age(d time.Duration) string {
	switch {
	case d < 0:
		return "in the future"
	case d < 2*time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < 2*time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	default:
		return fmt.Sprintf("%d days ago", int(d.Hours()/24))
	}
}
