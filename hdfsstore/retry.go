package hdfsstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// IsTransient reports whether err is a storage fault that waiting may mend:
// HDFS unreachable (connection refused or reset, no NameNode available, a
// call timed out, a standby or restarting NameNode, no DataNode for a block)
// or in safe mode. Not found, already exists, permission denied, damaged
// data and a cancelled context are not.
func IsTransient(err error) bool {
	return err != nil && (errors.Is(err, ErrUnavailable) || errors.Is(err, ErrSafeMode))
}

// Backoff between tries, and how often a wait that goes on is logged again.
const (
	retryFirstBackoff = 200 * time.Millisecond
	retryMaxBackoff   = 5 * time.Second
	retryLogEvery     = 30 * time.Second
)

// RetryPolicy says how long storage work that fails with a transient error
// (IsTransient) is tried again: a NameNode restart or an HA failover is
// waited out instead of failing the application. A nil policy, or a zero
// Timeout, tries once.
type RetryPolicy struct {
	// Timeout bounds the wait, counted from the first failure of a piece
	// of work.
	Timeout time.Duration
	// Setting names the configuration key that sets Timeout, for the error
	// of a wait that ran out.
	Setting string
	// Logger gets one warning when a wait starts, one every 30 s while it
	// lasts, and a line when the work succeeds after it; nil: slog.Default().
	Logger *slog.Logger

	// tests replace the clock
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

func (p *RetryPolicy) logger() *slog.Logger {
	if p.Logger == nil {
		return slog.Default()
	}
	return p.Logger
}

// RetryError is the error of work that kept failing with transient errors
// until the policy's Timeout ran out; Err is the last one.
type RetryError struct {
	Op, Name string
	Tries    int
	Waited   time.Duration
	Setting  string
	Err      error
}

func (e *RetryError) Error() string {
	msg := fmt.Sprintf("%s %s: storage still unavailable after %d tries over %v", e.Op, e.Name, e.Tries, e.Waited.Round(time.Millisecond))
	if e.Setting != "" {
		msg += fmt.Sprintf(" (%s bounds the wait)", e.Setting)
	}
	return msg + ": " + e.Err.Error()
}

func (e *RetryError) Unwrap() error { return e.Err }

// retryingKey marks a context whose work is already under a retry loop:
// the steps inside it run once, and the loop outside retries the whole.
type retryingKey struct{}

// Do runs fn, and runs it again with backoff while it fails with a
// transient error, until it succeeds, fails otherwise, ctx ends or Timeout
// has passed since its first failure (then a *RetryError wraps the last
// error). op and name say what it does, for logs and errors. fn must be safe
// to run again after a failure. Inside another Do (fn's ctx tells), it runs
// fn once: the outer loop retries.
func (p *RetryPolicy) Do(ctx context.Context, op, name string, fn func(ctx context.Context) error) error {
	if p == nil || p.Timeout <= 0 || ctx.Value(retryingKey{}) != nil {
		return fn(ctx)
	}
	ctx = context.WithValue(ctx, retryingKey{}, true)
	now, sleep, log := p.now, p.sleep, p.logger()
	if now == nil {
		now = time.Now
	}
	if sleep == nil {
		sleep = sleepCtx
	}
	var start, logged time.Time
	backoff := retryFirstBackoff
	for tries := 1; ; tries++ {
		err := fn(ctx)
		if err == nil && tries > 1 {
			log.Info("storage available again", "op", op, "path", name, "tries", tries, "waited", now().Sub(start).Round(time.Millisecond))
		}
		if err == nil || !IsTransient(err) {
			return err
		}
		if cerr := ctx.Err(); cerr != nil {
			return fmt.Errorf("%w (stopped waiting for storage: %w)", err, cerr)
		}
		t := now()
		if tries == 1 {
			start, logged = t, t
			log.Warn("storage unavailable; retrying", "op", op, "path", name, "timeout", p.Timeout, "err", err)
		}
		waited := t.Sub(start)
		if waited >= p.Timeout {
			return &RetryError{Op: op, Name: name, Tries: tries, Waited: waited, Setting: p.Setting, Err: err}
		}
		if t.Sub(logged) >= retryLogEvery {
			logged = t
			log.Warn("storage still unavailable; retrying", "op", op, "path", name, "tries", tries,
				"waited", waited.Round(time.Second), "timeout", p.Timeout, "err", err)
		}
		if serr := sleep(ctx, min(backoff, p.Timeout-waited)); serr != nil {
			return fmt.Errorf("%w (stopped waiting for storage: %w)", err, serr)
		}
		backoff = min(2*backoff, retryMaxBackoff)
	}
}

// Retry runs fn under fsys's retry policy when fsys has one (a Resolver
// with a RetryTimeout gives its HDFS file systems one), else once; the
// policy is found beneath wrappers that Unwrap (Fenced). Use it for work of
// several steps that is safe to redo as a whole, such as writing a file: a
// failed Write or Commit cannot be retried alone.
func Retry(ctx context.Context, fsys FS, op, name string, fn func(ctx context.Context) error) error {
	for fsys != nil {
		if r, ok := fsys.(*retryFS); ok {
			return r.policy.Do(ctx, op, name, fn)
		}
		w, ok := fsys.(interface{ Unwrap() FS })
		if !ok {
			break
		}
		fsys = w.Unwrap()
	}
	return fn(ctx)
}
