package device

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// reconnect opens a lost management session again, retrying with
// exponential backoff (4 attempts from 250 ms) while ctx allows: a cut
// connection must not leave a change half-applied when a new one could
// finish or undo it.
func reconnect(ctx context.Context, log *slog.Logger, connect func(context.Context) error) error {
	wait := 250 * time.Millisecond
	var err error
	for attempt := 1; attempt <= 4; attempt++ {
		if err = connect(ctx); err == nil {
			if attempt > 1 {
				log.Info("reconnected", "attempt", attempt)
			}
			return nil
		}
		log.Warn("reconnect failed", "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(wait):
		}
		wait *= 2
	}
	return err
}
