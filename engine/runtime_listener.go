package engine

import (
	"time"

	"github.com/gostream/gostream/engine/task"
)

// RuntimeListener hears what the engine does underneath batches: task
// attempts, checkpoint writes, receiver write-ahead log writes and batches
// that fail and stop the context. A Listener that also implements it gets
// these events on the listener bus, in order with the others (the metrics
// do); Listener's own methods stay as they are, so existing listeners need
// nothing new.
type RuntimeListener interface {
	OnTaskAttemptEnded(TaskAttemptInfo)
	OnCheckpointWritten(CheckpointWriteInfo)
	OnWALWritten(WALWriteInfo)
	// OnBatchFailed: a failed batch that stops the context (the default
	// gostream.streaming.onBatchFailure=stop), which has no
	// OnBatchCompleted.
	OnBatchFailed(BatchInfo)
	// OnStateMaterialized: a stateful stream's state after a batch.
	OnStateMaterialized(StateInfo)
}

// TaskAttemptInfo is a task attempt's end, as the driver's retry policy
// sees it (local and remote tasks alike).
type TaskAttemptInfo struct {
	State task.State
	Kind  task.Kind // task.None unless it failed or was lost
}

// CheckpointWriteInfo is one checkpoint write.
type CheckpointWriteInfo struct {
	BatchTime time.Time
	Duration  time.Duration
	Bytes     int
	Err       error // nil: written
}

// WALWriteInfo is one block written to the receiver write-ahead log (its
// segment and its metadata record).
type WALWriteInfo struct {
	StreamID int
	Duration time.Duration
	Bytes    int
	Err      error // nil: durable
}

// StateInfo is a stateful stream's state (updateStateByKey, mapWithState,
// reduceByKeyAndWindow with an inverse) after a batch.
type StateInfo struct {
	StreamID  int
	Kind      string // the operator
	BatchTime time.Time
	Keys      int64
}

// postRuntime posts an event to the listeners that hear runtime events.
func (b *listenerBus) postRuntime(event func(RuntimeListener)) {
	b.post(func(l Listener) {
		if r, ok := l.(RuntimeListener); ok {
			event(r)
		}
	})
}

// taskAttemptEnded reports a task attempt's end (task.Policy.Ended).
func (c *Context) taskAttemptEnded(state task.State, kind task.Kind) {
	c.bus.postRuntime(func(r RuntimeListener) { r.OnTaskAttemptEnded(TaskAttemptInfo{State: state, Kind: kind}) })
}

// stateMaterialized reports a stateful stream's size.
func (c *Context) stateMaterialized(s StateInfo) {
	c.bus.postRuntime(func(r RuntimeListener) { r.OnStateMaterialized(s) })
}

// walWritten reports a write to the receiver write-ahead log.
func (c *Context) walWritten(w WALWriteInfo) {
	c.bus.postRuntime(func(r RuntimeListener) { r.OnWALWritten(w) })
}

// WithListener registers l for the context's events from its creation, as
// AddListener does later: runtimes that own listeners (the status page, the
// metrics) pass it with their other options.
func WithListener(l Listener) Option {
	return func(s *Context) { s.initialListeners = append(s.initialListeners, l) }
}
