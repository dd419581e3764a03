// Package streamtest is a harness for unit-testing streaming pipelines: a
// context on a manual clock, queue inputs to push batches into, and outputs
// that collect each batch's results. Advancing the clock runs the batches
// synchronously, so tests are deterministic and fast.
//
//	h := streamtest.New(t, time.Second)
//	in, q := streamtest.Input[string](h)
//	out := streamtest.Collect(h, engine.CountByValue(in))
//	h.Start()
//	q.Push("a", "b", "a")
//	h.Advance(1)
//	// out.Batch(0) holds (a,2) and (b,1)
package streamtest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/engine"
)

// Epoch is the manual clock's start: batch times are Epoch + k × batch.
var Epoch = time.UnixMilli(1_000_000_000_000)

// Harness runs a pipeline on a manual clock.
type Harness struct {
	t       testing.TB
	Ctx     *engine.Context
	Clock   *engine.ManualClock
	batch   time.Duration
	batches int // batches advanced so far

	mu        sync.Mutex
	completed int
	changed   chan struct{}
}

// Option adjusts the harness's configuration before the context is made.
type Option func(c *conf.Conf) error

// WithConf sets a configuration key.
func WithConf(key, value string) Option {
	return func(c *conf.Conf) error { return c.Set(key, value) }
}

// New returns a harness with a local[2] context (two partitions by
// default), a checkpoint directory in t.TempDir(), and logs discarded.
func New(t testing.TB, batch time.Duration, opts ...Option) *Harness {
	t.Helper()
	c := conf.Defaults()
	must(t, c.Set(conf.Master, "local[2]"))
	for _, o := range opts {
		must(t, o(c))
	}
	clock := engine.NewManualClock(Epoch)
	ssc, err := engine.NewContext(c, batch, engine.WithClock(clock),
		engine.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))), engine.WithStdout(io.Discard))
	must(t, err)
	ssc.Checkpoint(t.TempDir())
	h := &Harness{t: t, Ctx: ssc, Clock: clock, batch: batch, changed: make(chan struct{})}
	ssc.AddListener(&completions{h: h})
	t.Cleanup(func() { ssc.Stop(false) })
	return h
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

type completions struct {
	engine.NopListener
	h *Harness
}

func (c *completions) OnBatchCompleted(engine.BatchInfo) {
	c.h.mu.Lock()
	c.h.completed++
	close(c.h.changed)
	c.h.changed = make(chan struct{})
	c.h.mu.Unlock()
}

// Input returns a queue stream taking one Push per batch, and its queue.
func Input[T any](h *Harness) (*engine.DStream[T], *engine.Queue[T]) {
	q := engine.NewQueue[T]()
	return engine.QueueStream(h.Ctx, q, true), q
}

// Start starts the context; a graph error fails the test.
func (h *Harness) Start() {
	h.t.Helper()
	must(h.t, h.Ctx.Start())
}

// Advance moves the clock n batches forward, one at a time, and waits until
// each batch completed. A failed batch fails the test.
func (h *Harness) Advance(n int) {
	h.t.Helper()
	if err := h.TryAdvance(n); err != nil {
		h.t.Fatal(err)
	}
}

// TryAdvance is Advance returning the error of a failed batch instead.
// With gostream.streaming.onBatchFailure=continue a failed batch does not
// stop the context and counts as completed: listeners see its error.
func (h *Harness) TryAdvance(n int) error {
	for range n {
		h.batches++
		h.Clock.Set(h.BatchTime(h.batches - 1))
		if err := h.waitCompleted(h.batches); err != nil {
			return err
		}
	}
	return nil
}

func (h *Harness) waitCompleted(n int) error {
	deadline := time.After(30 * time.Second)
	for {
		h.mu.Lock()
		done, changed := h.completed >= n, h.changed
		h.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-changed:
		case <-h.Ctx.Done():
			if err := h.Ctx.AwaitTermination(context.Background()); err != nil {
				return err
			}
			return fmt.Errorf("context stopped before batch %d completed", n)
		case <-deadline:
			return fmt.Errorf("batch %d did not complete within 30s", n)
		}
	}
}

// BatchTime is the time of batch i (0 for the first).
func (h *Harness) BatchTime(i int) time.Time {
	b := h.batch.Milliseconds() // batch times are multiples of it since the Unix epoch
	return time.UnixMilli(Epoch.UnixMilli() / b * b).Add(time.Duration(i+1) * h.batch)
}

// Output collects a stream's results, batch by batch.
type Output[T any] struct {
	h  *Harness
	mu sync.Mutex
	by map[int64][]T
}

// Collect registers an output operation that keeps every batch's elements.
func Collect[T any](h *Harness, ds *engine.DStream[T]) *Output[T] {
	o := &Output[T]{h: h, by: map[int64][]T{}}
	ds.ForeachRDD(func(ctx context.Context, t time.Time, r *engine.RDD[T]) error {
		items, err := r.Collect(ctx)
		if err != nil {
			return err
		}
		o.mu.Lock()
		o.by[t.UnixMilli()] = append([]T{}, items...)
		o.mu.Unlock()
		return nil
	})
	return o
}

// Batch returns the elements of batch i, and whether the stream produced
// an RDD at that batch (a window produces one only at its slide).
func (o *Output[T]) Batch(i int) ([]T, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	items, ok := o.by[o.h.BatchTime(i).UnixMilli()]
	return items, ok
}

// Batches returns every batch's elements so far, in batch order; batches
// without an RDD are nil.
func (o *Output[T]) Batches() [][]T {
	out := make([][]T, o.h.batches)
	for i := range out {
		out[i], _ = o.Batch(i)
	}
	return out
}
