package engine_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/engine/streamtest"
)

// canon renders a batch as sorted strings: element order inside a batch is
// not guaranteed after a shuffle, so batches are compared as multisets.
func canon[T any](items []T) []string {
	out := make([]string, len(items))
	for i, x := range items {
		out[i] = fmt.Sprint(x)
	}
	slices.Sort(out)
	return out
}

// canonBatches applies canon to every batch; a batch without an RDD stays nil
// so that "no output at this time" differs from "empty output".
func canonBatches[T any](batches [][]T, present []bool) [][]string {
	out := make([][]string, len(batches))
	for i, b := range batches {
		if present == nil || present[i] {
			out[i] = canon(b)
		}
	}
	return out
}

// collected returns every batch of o so far, and which batches had an RDD.
func collected[T any](h *streamtest.Harness, o *streamtest.Output[T], n int) ([][]T, []bool) {
	items := make([][]T, n)
	present := make([]bool, n)
	for i := range n {
		items[i], present[i] = o.Batch(i)
	}
	return items, present
}

// checkBatches compares every batch of o with want (canonical form); a nil
// entry of want means the stream must have produced no RDD at that batch.
func checkBatches[T any](t *testing.T, h *streamtest.Harness, o *streamtest.Output[T], want [][]string) {
	t.Helper()
	items, present := collected(h, o, len(want))
	for i := range want {
		switch {
		case want[i] == nil && present[i]:
			t.Errorf("batch %d: got output %v, want no RDD at this batch", i, canon(items[i]))
		case want[i] != nil && !present[i]:
			t.Errorf("batch %d: got no RDD, want %v", i, want[i])
		case want[i] != nil && !slices.Equal(canon(items[i]), want[i]):
			t.Errorf("batch %d:\n got  %v\n want %v", i, canon(items[i]), want[i])
		}
	}
}

// strs makes a canonical expected batch from already formatted elements.
func strs(xs ...string) []string {
	out := append([]string{}, xs...)
	slices.Sort(out)
	return out
}

// pushAll pushes one batch per entry.
func pushAll[T any](q *engine.Queue[T], batches [][]T) {
	for _, b := range batches {
		q.Push(b...)
	}
}

// quietLogger discards the engine's logs.
func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// manualCtx is a context on a manual clock built without streamtest, for
// tests that need what the harness fixes (stdout, no checkpoint, overlapping
// batches).
type manualCtx struct {
	t     *testing.T
	ssc   *engine.Context
	clock *engine.ManualClock
	out   *syncBuffer

	mu        sync.Mutex
	completed []engine.BatchInfo
	changed   chan struct{}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newManualCtx(t *testing.T, batch time.Duration, settings map[string]string) *manualCtx {
	t.Helper()
	c := conf.Defaults()
	if err := c.Set(conf.Master, "local[2]"); err != nil {
		t.Fatal(err)
	}
	for k, v := range settings {
		if err := c.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	m := &manualCtx{t: t, clock: engine.NewManualClock(streamtest.Epoch), out: &syncBuffer{}, changed: make(chan struct{})}
	ssc, err := engine.NewContext(c, batch, engine.WithClock(m.clock), engine.WithLogger(quietLogger()), engine.WithStdout(m.out))
	if err != nil {
		t.Fatal(err)
	}
	m.ssc = ssc
	ssc.AddListener(&completionListener{m: m})
	t.Cleanup(func() { ssc.Stop(false) })
	return m
}

type completionListener struct {
	engine.NopListener
	m *manualCtx
}

func (l *completionListener) OnBatchCompleted(info engine.BatchInfo) {
	l.m.mu.Lock()
	l.m.completed = append(l.m.completed, info)
	close(l.m.changed)
	l.m.changed = make(chan struct{})
	l.m.mu.Unlock()
}

// waitCompleted waits until n batches completed; it fails the test if the
// context stops first (returning its error) or after a generous bound.
func (m *manualCtx) waitCompleted(n int) error {
	deadline := time.After(30 * time.Second)
	for {
		m.mu.Lock()
		done, changed := len(m.completed) >= n, m.changed
		m.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-changed:
		case <-m.ssc.Done():
			if err := m.ssc.AwaitTermination(context.Background()); err != nil {
				return err
			}
			return fmt.Errorf("context stopped before batch %d completed", n)
		case <-deadline:
			return fmt.Errorf("batch %d did not complete within 30s", n)
		}
	}
}

// waitDone waits (boundedly) for the context to stop and returns its error.
func waitDone(t *testing.T, ssc *engine.Context) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := ssc.AwaitTermination(ctx)
	if ctx.Err() != nil {
		t.Fatal("context did not stop within 30s")
	}
	return err
}

// eventually polls cond, sleeping briefly between tries, and fails the test
// after a generous bound. It only guards against hangs.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// containsAll reports whether s contains every one of subs.
func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
