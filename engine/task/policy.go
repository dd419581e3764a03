package task

import (
	"context"
	"fmt"
)

// MaxLost bounds the attempts of one task lost with their executor. They
// are not counted as failures, but each is an executor gone: a task that
// keeps losing them is stopped rather than moved forever.
const MaxLost = 8

// Policy decides, from the kind of each failure, whether a task runs again.
type Policy struct {
	// MaxFailures is how many attempts may fail with the task's own error,
	// in all, before the task fails (gostream.task.maxFailures; 1: no
	// retry). Values below 1 mean 1.
	MaxFailures int
	// Retrying, when set, hears about each attempt that runs again: the
	// attempt that failed (from 0), its error and kind.
	Retrying func(attempt int, err error, kind Kind)
	// Ended, when set, hears about every attempt's end: its final state
	// (StateOf) and, unless it succeeded, its kind (the metrics count them).
	Ended func(state State, kind Kind)
}

// Run runs attempt until it succeeds or the policy gives up, and returns
// nil or the error that ended it. Where an attempt runs is the attempt's
// business: a backend places each on a live executor, so one lost with its
// executor runs elsewhere.
//
// The task's own errors are retried until MaxFailures attempts have failed;
// the error returned then says so and wraps the last one. A lost executor's
// attempt is retried without counting (up to MaxLost). Fetch failures,
// authentication and protocol errors end the task at once: retrying cannot
// mend them. When ctx ends, Run returns at once with the attempt's error.
func (p Policy) Run(ctx context.Context, attempt func(ctx context.Context) error) error {
	maxFailures := max(p.MaxFailures, 1)
	failures, lost := 0, 0
	for n := 0; ; n++ {
		err := attempt(ctx)
		if p.Ended != nil {
			p.Ended(StateOf(ctx, err), KindOf(err))
		}
		if err == nil || ctx.Err() != nil {
			return err
		}
		kind := KindOf(err)
		switch kind {
		case Own:
			failures++
			if failures >= maxFailures {
				if maxFailures > 1 {
					return fmt.Errorf("%w (the task failed %d times: gostream.task.maxFailures=%d)", err, failures, maxFailures)
				}
				return err
			}
		case ExecutorLost:
			lost++
			if lost > MaxLost {
				return fmt.Errorf("%w (the task lost its executor %d times)", err, lost)
			}
		default:
			return err
		}
		if p.Retrying != nil {
			p.Retrying(n, err, kind)
		}
	}
}
