package am

import (
	"strings"
	"time"
)

// failureTracker counts executor failures, forgetting those older than the
// validity interval (0: never forgets), like Spark's FailureTracker. It
// keeps what each failure was, so that the application's diagnostics can
// say why executors failed when there were too many.
type failureTracker struct {
	validity time.Duration
	failures []failure
}

// failure is an executor failure: when, and what happened in words.
type failure struct {
	at   time.Time
	what string
}

func (f *failureTracker) add(now time.Time, what string) {
	f.failures = append(f.failures, failure{at: now, what: what})
}

// count is the number of failures that still count at now.
func (f *failureTracker) count(now time.Time) int {
	if f.validity > 0 {
		cut := 0
		for cut < len(f.failures) && now.Sub(f.failures[cut].at) > f.validity {
			cut++
		}
		f.failures = f.failures[cut:]
	}
	return len(f.failures)
}

// describe lists the failures counted by the last count, oldest first.
func (f *failureTracker) describe() string {
	whats := make([]string, len(f.failures))
	for i, x := range f.failures {
		whats[i] = x.what
	}
	return strings.Join(whats, "; ")
}

// maxExecutorFailures is gostream.executor.maxNumFailures, 0 meaning
// max(2 × executors, 3) as in Spark.
func maxExecutorFailures(configured, executors int) int {
	if configured > 0 {
		return configured
	}
	return max(2*executors, 3)
}
