package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/gostream/gostream/conf"
)

// A graceful stop processes everything received: it waits as long as
// batches keep completing, and gives up only when none completes for
// gostream.streaming.gracefulStopTimeout. Giving up is not a clean stop:
// AwaitTermination (and so Main's exit status and the YARN AM's final
// status) says what was left with a *StopIncompleteError.

// StopIncompleteError is how a graceful stop ends when it had to give up:
// no batch completed for Timeout, so Batches generated batches holding
// Records records (with those received after the last batch) were not
// processed.
type StopIncompleteError struct {
	Timeout time.Duration
	Batches int
	Records int64
	// WAL: the receiver write-ahead log holds those records, so the next
	// start from the checkpoint directory processes them; without it they
	// are lost.
	WAL bool
}

func (e *StopIncompleteError) Error() string {
	verdict := fmt.Sprintf("they are lost: the receiver write-ahead log is off (set %s=true to keep received data across a stop)", conf.ReceiverWALEnable)
	if e.WAL {
		verdict = "they are kept in the write-ahead log for the next start from the checkpoint directory"
	}
	return fmt.Sprintf("graceful stop incomplete: no batch completed for %s (%s), so %d batches with %d records were not processed; %s",
		e.Timeout, conf.GracefulStopTimeout, e.Batches, e.Records, verdict)
}

// giveUpWithoutProgress calls giveUp once no batch has completed for d,
// the timer restarting at every completion; it returns when ctx ends.
func (s *jobScheduler) giveUpWithoutProgress(ctx context.Context, d time.Duration, giveUp func()) {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.progress:
			t.Reset(d)
		case <-t.C:
			giveUp()
			return
		}
	}
}

// unprocessed returns the batches generated and not completed, and their
// records.
func (s *jobScheduler) unprocessed() (batches int, records int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.pending {
		records += n
	}
	return len(s.pending), records
}

// unallocatedRecords counts the records received and not yet in a batch.
func (t *blockTracker) unallocatedRecords() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	var n int64
	for _, blocks := range t.unallocated {
		for _, b := range blocks {
			n += int64(b.records)
		}
	}
	return n
}
