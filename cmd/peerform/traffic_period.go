package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/peerform/peerform/internal/decide/traffic"
)

// periodFlags choose the time a traffic command covers: --days before
// --to (default now), or --from to --to.
type periodFlags struct {
	days     int
	from, to string
	fromT    time.Time
	toT      time.Time
}

func (f *periodFlags) add(cmd *cobra.Command, days int) {
	cmd.Flags().IntVar(&f.days, "days", days, "the `N` days before --to")
	cmd.Flags().StringVar(&f.from, "from", "", "start `time` (2006-01-02 or RFC 3339, UTC); replaces --days")
	cmd.Flags().StringVar(&f.to, "to", "", "end `time` (default: now)")
}

func parseTime(flag, s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04", time.DateOnly} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, usageErrorf("--%s %q: want 2006-01-02, 2006-01-02T15:04 or RFC 3339", flag, s)
}

func (f *periodFlags) resolve() error {
	if f.days < 1 || f.days > 3660 {
		return usageErrorf("--days must be 1 to 3660, got %d", f.days)
	}
	var err error
	if f.from != "" {
		if f.fromT, err = parseTime("from", f.from); err != nil {
			return err
		}
	}
	if f.to != "" {
		if f.toT, err = parseTime("to", f.to); err != nil {
			return err
		}
	}
	if f.from != "" && f.to != "" && !f.toT.After(f.fromT) {
		return usageErrorf("--to must be after --from")
	}
	return nil
}

// period is the resolved period; an unset --to is end.
func (f *periodFlags) period(end time.Time) traffic.Period {
	to := end
	if f.to != "" {
		to = f.toT
	}
	if f.from != "" {
		return traffic.Period{From: f.fromT, To: to}
	}
	return traffic.Period{From: to.AddDate(0, 0, -f.days), To: to}
}
