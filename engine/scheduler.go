package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/gostream/gostream/conf"
)

// job is one output operation (or state materialization) of one batch.
type job struct {
	set    *jobSet
	opID   int    // -1 for internal jobs
	name   string // output operation kind
	run    func(ctx context.Context) error
	info   OutputOpInfo
	forced bool // internal: forces a stateful RDD
}

// jobSet is the jobs of one batch; the batch completes when all have run.
type jobSet struct {
	info      BatchInfo
	jobs      []*job
	remaining int
	failed    error
}

// jobScheduler runs the jobs of generated batches in order on
// concurrentJobs workers (one by default: batches never overlap).
type jobScheduler struct {
	ssc *Context

	mu       sync.Mutex
	queue    []*job
	wake     chan struct{}   // signalled when the queue grows
	inFlight int             // batches submitted and not completed
	idle     *sync.Cond      // broadcast when inFlight drops
	pending  map[int64]int64 // batch time (ms) → records, until the batch completes without error
	progress chan struct{}   // signalled when a batch completes without error (a graceful stop waits on it)
}

func newJobScheduler(ssc *Context) *jobScheduler {
	s := &jobScheduler{ssc: ssc, wake: make(chan struct{}, 1), pending: map[int64]int64{}, progress: make(chan struct{}, 1)}
	s.idle = sync.NewCond(&s.mu)
	return s
}

// submit queues a batch's jobs; a batch without jobs completes at once.
func (s *jobScheduler) submit(set *jobSet) {
	// listeners get a copy: the workers keep updating set.info
	submitted := set.info
	submitted.OutputOps = slices.Clone(submitted.OutputOps)
	s.ssc.bus.post(func(l Listener) { l.OnBatchSubmitted(submitted) })
	s.mu.Lock()
	s.pending[set.info.BatchTime.UnixMilli()] = set.info.NumRecords()
	s.mu.Unlock()
	if len(set.jobs) == 0 {
		set.info.ProcessingStart, set.info.ProcessingEnd = set.info.SubmissionTime, set.info.SubmissionTime
		s.mu.Lock()
		s.inFlight++
		s.mu.Unlock()
		s.complete(set)
		return
	}
	s.mu.Lock()
	s.inFlight++
	set.remaining = len(set.jobs)
	s.queue = append(s.queue, set.jobs...)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// work runs queued jobs until ctx ends.
func (s *jobScheduler) work(ctx context.Context) {
	for {
		s.mu.Lock()
		var j *job
		if len(s.queue) > 0 {
			j, s.queue = s.queue[0], s.queue[1:]
		}
		more := len(s.queue) > 0
		s.mu.Unlock()
		if more {
			select { // let another worker take the next job
			case s.wake <- struct{}{}:
			default:
			}
		}
		if j == nil {
			select {
			case <-s.wake:
				continue
			case <-ctx.Done():
				return
			}
		}
		s.runJob(ctx, j)
	}
}

func (s *jobScheduler) runJob(ctx context.Context, j *job) {
	set := j.set
	now := s.ssc.clock.Now()
	s.mu.Lock()
	first := set.info.ProcessingStart.IsZero()
	if first {
		set.info.ProcessingStart = now
	}
	info := set.info
	info.OutputOps = slices.Clone(info.OutputOps) // later jobs of the batch write into set.info's
	s.mu.Unlock()
	if first {
		s.ssc.bus.post(func(l Listener) { l.OnBatchStarted(info) })
	}
	j.info.Start = now
	if !j.forced {
		start := j.info
		s.ssc.bus.post(func(l Listener) { l.OnOutputOperationStarted(start) })
	}
	err := runProtected(ctx, j.run)
	if err != nil {
		if derr := (*DamagedBlockError)(nil); errors.As(err, &derr) {
			err = derr // it names its batch and segment; the operators it passed through add nothing
		} else {
			err = fmt.Errorf("batch %d, output operation %d (%s): %w", set.info.BatchTime.UnixMilli(), j.opID, j.name, err)
		}
	}
	j.info.End, j.info.Err = s.ssc.clock.Now(), err
	if !j.forced {
		done := j.info
		s.ssc.bus.post(func(l Listener) { l.OnOutputOperationCompleted(done) })
	}
	s.mu.Lock()
	if !j.forced {
		set.info.OutputOps[j.opID] = j.info
	}
	if err != nil && set.failed == nil {
		set.failed = err
	}
	set.remaining--
	last := set.remaining == 0
	if last {
		set.info.ProcessingEnd = j.info.End
		set.info.Err = set.failed
	}
	s.mu.Unlock()
	if last {
		s.complete(set)
	}
}

// runProtected runs f, turning a panic into an error with its stack.
func runProtected(ctx context.Context, f func(context.Context) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return f(ctx)
}

// complete finishes a batch: listeners, log line, and the memory it held.
// By default a failed batch stops the context with its error; it is not
// marked done, so recovery from a checkpoint re-runs it. With
// gostream.streaming.onBatchFailure=continue (Spark's behaviour) it is
// reported as a completed batch carrying its error and counted done: the
// next batches run, and the context reports the error when it stops.
func (s *jobScheduler) complete(set *jobSet) {
	ssc := s.ssc
	info := set.info
	done := info.Err == nil || ssc.settings.continueOnFailure
	switch {
	case !done:
		ssc.log.Error("batch failed", "batch", info.BatchTime.UnixMilli(), "err", info.Err)
		ssc.bus.postRuntime(func(r RuntimeListener) { r.OnBatchFailed(info) })
		ssc.fail(info.Err)
	case info.Err != nil:
		ssc.log.Error("batch failed; its data will not be processed again, going on with the next batches ("+
			conf.OnBatchFailure+"="+conf.BatchFailureContinue+")",
			"batch", info.BatchTime.UnixMilli(), "records", info.NumRecords(), "err", info.Err)
		ssc.batchFailed(info.Err)
	default:
		ssc.log.Info("batch completed", "batch", info.BatchTime.UnixMilli(), "records", info.NumRecords(),
			"schedulingDelay", info.SchedulingDelay().Round(time.Millisecond),
			"processingDelay", info.ProcessingDelay().Round(time.Millisecond),
			"totalDelay", info.TotalDelay().Round(time.Millisecond))
	}
	if done {
		ssc.bus.post(func(l Listener) { l.OnBatchCompleted(info) })
		ssc.batchCompleted(info)
	}
	s.mu.Lock()
	s.inFlight--
	if done {
		delete(s.pending, info.BatchTime.UnixMilli())
	}
	s.idle.Broadcast()
	s.mu.Unlock()
	if done {
		select {
		case s.progress <- struct{}{}:
		default:
		}
	}
}

// waitIdle waits until every submitted batch completed or ctx ends.
func (s *jobScheduler) waitIdle(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		s.mu.Lock()
		s.idle.Broadcast()
		s.mu.Unlock()
	})
	defer stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.inFlight > 0 && ctx.Err() == nil {
		s.idle.Wait()
	}
	return ctx.Err()
}
