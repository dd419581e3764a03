package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/gostream/gostream/engine/rdd"
)

// Queue feeds a QueueStream: each Push is one batch's worth of records.
// Safe for concurrent use.
type Queue[T any] struct {
	mu     sync.Mutex
	items  [][]T
	popped int64 // how many pushes were taken: the stream's position

	takenAfter map[int64]int64 // batch time (ms) → popped after it (input_checkpoint.go)
	discard    int64           // pushes completed batches took before a restart: dropped
}

// NewQueue returns an empty queue.
func NewQueue[T any]() *Queue[T] { return &Queue[T]{} }

// Push appends one batch's worth of records.
func (q *Queue[T]) Push(items ...T) {
	q.mu.Lock()
	q.items = append(q.items, items)
	q.mu.Unlock()
}

// take removes the next push, or every pending push when all is true.
func (q *Queue[T]) take(all bool) []T {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.discard > 0 && len(q.items) > 0 { // taken before a restart
		q.items, q.discard, q.popped = q.items[1:], q.discard-1, q.popped+1
	}
	n := min(1, len(q.items))
	if all {
		n = len(q.items)
	}
	var out []T
	for _, items := range q.items[:n] {
		out = append(out, items...)
	}
	q.items = q.items[n:]
	q.popped += int64(n)
	return out
}

// QueueStream creates an input stream that takes, at every batch, the next
// push of q (or every pending push when oneAtATime is false). Meant for
// tests: it cannot re-create a past batch after a restart, so stateful
// streams over it save their state every batch, whatever their interval.
func QueueStream[T any](ssc *Context, q *Queue[T], oneAtATime bool) *DStream[T] {
	return SourceStream(ssc, "queueStream", fmt.Sprintf("oneAtATime=%t", oneAtATime), &queueSource[T]{q: q, env: ssc.Env(), all: !oneAtATime})
}

// queueSource is a queue as a Source.
type queueSource[T any] struct {
	q   *Queue[T]
	env *rdd.Env
	all bool
}

func (s *queueSource[T]) Batch(_ context.Context, t time.Time) (*RDD[T], int64, error) {
	items := s.q.take(s.all)
	s.q.noteBatch(t.UnixMilli())
	return rdd.Parallelize(s.env, items, s.env.Parallelism), int64(len(items)), nil
}

func (s *queueSource[T]) Replayable() bool                   { return false }
func (s *queueSource[T]) Progress() (json.RawMessage, error) { return s.q.saveProgress() }
func (s *queueSource[T]) Restore(p json.RawMessage, lastCompleted time.Time) error {
	return s.q.restoreProgress(p, lastCompleted.UnixMilli())
}
func (s *queueSource[T]) Forget(time.Time) {} // noteBatch keeps a bounded memory

// queueProgress: how many pushes had been taken after each remembered
// batch. Queue streams exist for tests; after a restart the setup function
// pushes the same data again, and the queue drops what completed batches took.
type queueProgress struct {
	TakenAfter map[int64]int64 `json:"takenAfter"` // batch time (ms) → pushes taken
}

func (q *Queue[T]) saveProgress() (json.RawMessage, error) {
	q.mu.Lock()
	p := queueProgress{TakenAfter: maps.Clone(q.takenAfter)}
	q.mu.Unlock()
	return json.Marshal(p)
}

func (q *Queue[T]) restoreProgress(raw json.RawMessage, lastCompletedMs int64) error {
	var p queueProgress
	if err := json.Unmarshal(raw, &p); err != nil {
		return fmt.Errorf("queue stream: %w", err)
	}
	var best, at int64 = 0, -1
	for ms, n := range p.TakenAfter {
		if ms <= lastCompletedMs && ms > at {
			best, at = n, ms
		}
	}
	q.mu.Lock()
	q.discard = best
	q.mu.Unlock()
	return nil
}

// noteBatch records the queue's position after batch ms took its pushes,
// remembering the last few batches only.
func (q *Queue[T]) noteBatch(ms int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.takenAfter == nil {
		q.takenAfter = map[int64]int64{}
	}
	q.takenAfter[ms] = q.popped
	if len(q.takenAfter) > queueRemembered {
		delete(q.takenAfter, slices.Min(slices.Collect(maps.Keys(q.takenAfter))))
	}
}

// queueRemembered bounds noteBatch's memory.
const queueRemembered = 64
