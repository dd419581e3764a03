package am

import "time"

// failureTracker counts executor failures, forgetting those older than the
// validity interval (0: never forgets), like Spark's FailureTracker.
type failureTracker struct {
	validity time.Duration
	times    []time.Time
}

func (f *failureTracker) add(now time.Time) { f.times = append(f.times, now) }

// count is the number of failures that still count at now.
func (f *failureTracker) count(now time.Time) int {
	if f.validity > 0 {
		cut := 0
		for cut < len(f.times) && now.Sub(f.times[cut]) > f.validity {
			cut++
		}
		f.times = f.times[cut:]
	}
	return len(f.times)
}

// maxExecutorFailures is gostream.executor.maxNumFailures, 0 meaning
// max(2 × executors, 3) as in Spark.
func maxExecutorFailures(configured, executors int) int {
	if configured > 0 {
		return configured
	}
	return max(2*executors, 3)
}
