package engine

import (
	"log/slog"
	"sync"
	"time"
)

// BatchInfo describes one batch: what it held and how long it waited and ran.
type BatchInfo struct {
	BatchTime       time.Time
	SubmissionTime  time.Time      // when its jobs were generated
	ProcessingStart time.Time      // zero until its first job starts
	ProcessingEnd   time.Time      // zero until its last job ends
	StreamRecords   map[int]int64  // records per input stream id
	OutputOps       []OutputOpInfo // one per output operation
	Err             error          // the first failed output operation's error
}

// NumRecords is the number of input records of the batch.
func (b BatchInfo) NumRecords() int64 {
	var n int64
	for _, c := range b.StreamRecords {
		n += c
	}
	return n
}

// SchedulingDelay is how long the batch waited for earlier batches.
func (b BatchInfo) SchedulingDelay() time.Duration {
	if b.ProcessingStart.IsZero() {
		return 0
	}
	return b.ProcessingStart.Sub(b.SubmissionTime)
}

// ProcessingDelay is how long the batch's jobs ran.
func (b BatchInfo) ProcessingDelay() time.Duration {
	if b.ProcessingEnd.IsZero() {
		return 0
	}
	return b.ProcessingEnd.Sub(b.ProcessingStart)
}

// TotalDelay is scheduling plus processing delay.
func (b BatchInfo) TotalDelay() time.Duration {
	if b.ProcessingEnd.IsZero() {
		return 0
	}
	return b.ProcessingEnd.Sub(b.SubmissionTime)
}

// OutputOpInfo describes one output operation of one batch.
type OutputOpInfo struct {
	BatchTime time.Time
	ID        int    // position among the context's output operations
	Name      string // "print", "saveAsTextFiles", "foreachRDD", …
	Start     time.Time
	End       time.Time // zero until completed
	Err       error
}

// ReceiverInfo describes a receiver.
type ReceiverInfo struct {
	StreamID int
	Name     string
	Active   bool
	LastErr  error
}

// Listener receives the context's events on one goroutine, in order. Embed
// NopListener to implement only the events of interest.
type Listener interface {
	OnBatchSubmitted(BatchInfo)
	OnBatchStarted(BatchInfo)
	// OnBatchCompleted: also for a failed batch (Err set) when
	// gostream.streaming.onBatchFailure=continue; a failed batch that stops
	// the context (the default) has no such event.
	OnBatchCompleted(BatchInfo)
	OnOutputOperationStarted(OutputOpInfo)
	OnOutputOperationCompleted(OutputOpInfo)
	OnReceiverStarted(ReceiverInfo)
	OnReceiverStopped(ReceiverInfo)
	OnReceiverError(ReceiverInfo)
}

// NopListener ignores every event.
type NopListener struct{}

func (NopListener) OnBatchSubmitted(BatchInfo)              {}
func (NopListener) OnBatchStarted(BatchInfo)                {}
func (NopListener) OnBatchCompleted(BatchInfo)              {}
func (NopListener) OnOutputOperationStarted(OutputOpInfo)   {}
func (NopListener) OnOutputOperationCompleted(OutputOpInfo) {}
func (NopListener) OnReceiverStarted(ReceiverInfo)          {}
func (NopListener) OnReceiverStopped(ReceiverInfo)          {}
func (NopListener) OnReceiverError(ReceiverInfo)            {}

// listenerBus delivers events to listeners on its own goroutine so that a
// slow listener never delays batches. Events beyond the queue's capacity are
// dropped and counted, as in Spark.
type listenerBus struct {
	log       *slog.Logger
	mu        sync.Mutex
	listeners []Listener
	queue     chan func(Listener)
	dropped   int
	closed    bool
	done      chan struct{}
}

func newListenerBus(log *slog.Logger) *listenerBus {
	return &listenerBus{log: log, queue: make(chan func(Listener), 10000), done: make(chan struct{})}
}

func (b *listenerBus) add(l Listener) {
	b.mu.Lock()
	b.listeners = append(b.listeners, l)
	b.mu.Unlock()
}

// post queues an event; it never blocks. Events after stop are ignored.
func (b *listenerBus) post(event func(Listener)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	select {
	case b.queue <- event:
	default:
		b.dropped++
		if b.dropped == 1 || b.dropped%1000 == 0 {
			b.log.Warn("listener event queue full: events dropped", "dropped", b.dropped)
		}
	}
}

// run delivers events until stop closes the queue; the owner waits on done.
func (b *listenerBus) run() {
	defer close(b.done)
	for event := range b.queue {
		b.mu.Lock()
		ls := append([]Listener(nil), b.listeners...)
		b.mu.Unlock()
		for _, l := range ls {
			event(l)
		}
	}
}

// stop delivers the events already queued, then returns.
func (b *listenerBus) stop() {
	b.mu.Lock()
	b.closed = true
	close(b.queue)
	b.mu.Unlock()
	<-b.done
}
