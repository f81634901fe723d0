package device

import (
	"context"
	"fmt"
	"log/slog"
)

// Dial opens a management session to a router of the given platform (the
// names of intent.Platforms), over NETCONF when ep.NETCONF says so.
// Platforms without a driver, or without one for that protocol, are an
// error.
func Dial(ctx context.Context, platform string, ep Endpoint, log *slog.Logger) (Driver, error) {
	var (
		d   Driver
		err error
	)
	if ep.NETCONF && platform != "netconf" && platform != "junos" {
		return nil, fmt.Errorf("platform %q has no NETCONF driver; use transport = \"ssh\"", platform)
	}
	switch platform {
	case "frr":
		d, err = OpenFRR(ctx, ep, log)
	case "bird2":
		d, err = OpenBIRD(ctx, ep, log)
	case "junos":
		if ep.NETCONF {
			d, err = OpenJunosNetconf(ctx, ep, NetconfOptions{Logger: log})
		} else {
			d, err = OpenJunos(ctx, ep, CLIOptions{Logger: log})
		}
	case "iosxr":
		d, err = OpenIOSXR(ctx, ep, CLIOptions{Logger: log})
	case "eos":
		d, err = OpenEOS(ctx, ep, CLIOptions{Logger: log})
	case "sros":
		d, err = OpenSROS(ctx, ep, CLIOptions{Logger: log})
	case "netconf":
		d, err = OpenNetconf(ctx, ep, NetconfOptions{Logger: log})
	default:
		return nil, fmt.Errorf("platform %q has no device driver", platform)
	}
	if err != nil {
		return nil, err
	}
	return d, nil
}
