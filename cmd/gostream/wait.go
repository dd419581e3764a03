package main

import (
	"context"
	"errors"
	"time"

	"github.com/gostream/gostream/client"
	"github.com/gostream/gostream/internal/yarn"
	"github.com/gostream/gostream/internal/yarnctl"
)

// errWaitTimedOut ends a wait that saw no end in time.
var errWaitTimedOut = errors.New("wait timed out")

// progressPoll is how often a wait reads the driver's status page.
const progressPoll = 2 * time.Second

// waitApp waits until application id ends. A timeout bounds the whole
// wait. Without one, it waits while the driver completes batches (a
// graceful stop processes everything received, as long as that takes) and
// gives up after what a stop without progress needs: three batches, the
// graceful-stop timeout and a minute for the AM to unregister, per the
// driver's status page (5 minutes when the page cannot be read), the wait
// restarting whenever the page shows a newly completed batch.
func waitApp(ctx context.Context, y *yarnctl.Cluster, id yarn.ApplicationID, timeout time.Duration, logf func(string, ...any)) (int, error) {
	var completed func() (int64, bool) // the driver's completed batches; nil: a fixed bound
	if timeout <= 0 {
		timeout = 5 * time.Minute
		if r, err := y.Report(ctx, id); err == nil && r.State == yarn.StateRunning {
			if st, err := yarnctl.DriverStatus(ctx, r.TrackingURL); err == nil && st.BatchDuration > 0 {
				timeout = 3*st.BatchDuration + st.GracefulStopTimeout + time.Minute
				completed = func() (int64, bool) {
					pctx, cancel := context.WithTimeout(ctx, progressPoll)
					defer cancel()
					st, err := yarnctl.DriverStatus(pctx, r.TrackingURL)
					if err != nil {
						return 0, false
					}
					return st.CompletedBatches, true
				}
			}
		}
	}
	wctx, cancel := context.WithCancelCause(ctx)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		cancelWithoutProgress(wctx, timeout, progressPoll, completed, func() { cancel(errWaitTimedOut) })
	}()
	defer func() { cancel(nil); <-watched }()

	r, err := y.Follow(wctx, id, time.Second, func(_, cur *client.ApplicationReport) {
		logf("%s: %s (attempt %d)", id, cur.State, cur.CurrentAttempt.Attempt)
	})
	switch {
	case errors.Is(context.Cause(wctx), errWaitTimedOut):
		logf("%s is still %s after %s without progress", id, r.State, timeout)
		return exitTimeout, nil
	case err != nil:
		return exitError, err
	}
	logf("%s ended: %s, final status %s, diagnostics: %s", id, r.State, r.FinalStatus, yarnctl.OneLine(r.Diagnostics))
	if r.FinalStatus != yarn.FinalSucceeded {
		return exitNo, nil
	}
	return exitOK, nil
}

// cancelWithoutProgress calls giveUp once d has passed without completed
// (when not nil; read every poll) reporting more batches than before; it
// returns when ctx ends.
func cancelWithoutProgress(ctx context.Context, d, poll time.Duration, completed func() (int64, bool), giveUp func()) {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	var polls <-chan time.Time
	if completed != nil {
		t := time.NewTicker(poll)
		defer t.Stop()
		polls = t.C
	}
	last := int64(-1)
	for {
		select {
		case <-ctx.Done():
			return
		case <-deadline.C:
			giveUp()
			return
		case <-polls:
			if n, ok := completed(); ok && n > last {
				last = n
				deadline.Reset(d)
			}
		}
	}
}
