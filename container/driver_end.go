package container

import (
	"context"
	"errors"
	"fmt"
)

// DriverEnd is how the client-mode driver ended, which it tells the
// application master over the launcher link before closing it (the AM runs
// no driver and would otherwise know only that the link ended).
type DriverEnd struct {
	// Err is why the driver failed; empty when it did not.
	Err string `json:"err,omitempty"`
	// Unrecoverable: running the application again would fail the same way
	// (a checkpoint of another graph, a bad configuration).
	Unrecoverable bool `json:"unrecoverable,omitempty"`
	// Signal names the signal (SIGINT, SIGTERM) that stopped the driver, if
	// one did: gostream-submit was interrupted or killed.
	Signal string `json:"signal,omitempty"`
}

// Stopped tells whether the driver stopped by itself: no error, no signal.
func (d DriverEnd) Stopped() bool { return d.Err == "" && d.Signal == "" }

// ErrNoLauncher: no client-mode application master is connected to hear
// how the driver ended.
var ErrNoLauncher = errors.New("no application master is connected")

// ReportEnd tells the client-mode application masters connected how the
// driver ended and waits (within ctx) until each has acknowledged it, so
// that closing the endpoint afterwards cannot lose it.
func (e *Endpoint) ReportEnd(ctx context.Context, end DriverEnd) error {
	launchers := e.launcherConns()
	if len(launchers) == 0 {
		return ErrNoLauncher
	}
	var errs []error
	for _, x := range launchers {
		if _, err := x.peer.request(ctx, message{Op: opDriverEnded, End: &end}); err != nil {
			errs = append(errs, fmt.Errorf("telling the application master at %s how the driver ended: %w", x.info.Remote, err))
		}
	}
	return errors.Join(errs...)
}
