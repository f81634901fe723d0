package device

import (
	"context"
	"fmt"
	"log/slog"
)

// Dial opens a management session to a router of the given platform (the
// names of intent.Platforms). Platforms without a driver are an error.
func Dial(ctx context.Context, platform string, ep Endpoint, log *slog.Logger) (Driver, error) {
	var (
		d   Driver
		err error
	)
	switch platform {
	case "frr":
		d, err = OpenFRR(ctx, ep, log)
	case "bird2":
		d, err = OpenBIRD(ctx, ep, log)
	case "junos":
		d, err = OpenJunos(ctx, ep, CLIOptions{Logger: log})
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
