package device

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/peerform/peerform/internal/core/platform"
)

// Dial opens a management session to a router of platform p, over NETCONF
// when ep.NETCONF says so. Platforms without a driver, or without one for
// that protocol, are an error.
func Dial(ctx context.Context, p platform.Name, ep Endpoint, log *slog.Logger) (Driver, error) {
	var (
		d   Driver
		err error
	)
	if ep.NETCONF && !p.NETCONF() {
		return nil, fmt.Errorf("platform %q has no NETCONF driver; use transport = \"ssh\"", p)
	}
	switch p {
	case platform.FRR:
		d, err = OpenFRR(ctx, ep, log)
	case platform.BIRD2:
		d, err = OpenBIRD(ctx, ep, log)
	case platform.Junos:
		if ep.NETCONF {
			d, err = OpenJunosNetconf(ctx, ep, NetconfOptions{Logger: log})
		} else {
			d, err = OpenJunos(ctx, ep, CLIOptions{Logger: log})
		}
	case platform.IOSXR:
		d, err = OpenIOSXR(ctx, ep, CLIOptions{Logger: log})
	case platform.EOS:
		d, err = OpenEOS(ctx, ep, CLIOptions{Logger: log})
	case platform.SROS:
		d, err = OpenSROS(ctx, ep, CLIOptions{Logger: log})
	case platform.NETCONF:
		d, err = OpenNetconf(ctx, ep, NetconfOptions{Logger: log})
	default:
		return nil, fmt.Errorf("platform %q has no device driver", p)
	}
	if err != nil {
		return nil, err
	}
	return d, nil
}
