package engine_test

import (
	"context"
	"errors"
	"io"
	"iter"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/engine/task"
)

// runtimeLog records the runtime events (what the metrics hear).
type runtimeLog struct {
	engine.NopListener
	mu          sync.Mutex
	attempts    map[[2]string]int // state, kind → attempts
	checkpoints []engine.CheckpointWriteInfo
	wal         []engine.WALWriteInfo
	failed      []engine.BatchInfo
	states      []engine.StateInfo
}

var _ engine.RuntimeListener = (*runtimeLog)(nil)

func newRuntimeLog() *runtimeLog { return &runtimeLog{attempts: map[[2]string]int{}} }

func (l *runtimeLog) OnTaskAttemptEnded(a engine.TaskAttemptInfo) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.attempts[[2]string{a.State.String(), a.Kind.String()}]++
}

func (l *runtimeLog) OnCheckpointWritten(c engine.CheckpointWriteInfo) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.checkpoints = append(l.checkpoints, c)
}

func (l *runtimeLog) OnWALWritten(w engine.WALWriteInfo) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.wal = append(l.wal, w)
}

func (l *runtimeLog) OnBatchFailed(b engine.BatchInfo) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failed = append(l.failed, b)
}

func (l *runtimeLog) OnStateMaterialized(s engine.StateInfo) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.states = append(l.states, s)
}

// TestRuntimeEventsOfStorage: a listener given with WithListener hears every
// block written to the write-ahead log and every checkpoint written, and
// the attempts of the batches' tasks.
func TestRuntimeEventsOfStorage(t *testing.T) {
	rec := newRuntimeLog()
	a := newWALApp()
	r, err := newRig(t, t.TempDir(), rigStart, a.setup, []engine.Option{engine.WithListener(rec)}, conf.ReceiverWALEnable, "true")
	must(t, err)
	must(t, r.ssc.Start())
	must(t, a.recv.store(t, "a", "b"))
	must(t, a.recv.store(t, "c"))
	r.advance(1)
	r.advance(2)
	r.ssc.Stop(false) // the bus delivers what was posted before it returns

	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.wal) != 2 {
		t.Errorf("%d write-ahead log writes, want the 2 blocks: %+v", len(rec.wal), rec.wal)
	}
	for _, w := range rec.wal {
		if w.Err != nil || w.Bytes == 0 || w.Duration <= 0 || w.StreamID != 0 {
			t.Errorf("write-ahead log write %+v, want stream 0's block written", w)
		}
	}
	if len(rec.checkpoints) == 0 {
		t.Error("no checkpoint write heard")
	}
	for _, c := range rec.checkpoints {
		if c.Err != nil || c.Bytes == 0 || c.BatchTime.Before(rigBatch(1)) {
			t.Errorf("checkpoint write %+v", c)
		}
	}
	if rec.attempts[[2]string{"succeeded", "none"}] == 0 {
		t.Errorf("task attempts %v, want succeeded ones", rec.attempts)
	}
	if len(rec.failed) != 0 {
		t.Errorf("failed batches %+v", rec.failed)
	}
	// The word count's state: a, b, c after batch 1 and 2.
	if n := len(rec.states); n < 2 || rec.states[n-1].Keys != 3 || rec.states[n-1].Kind != "updateStateByKey" || !rec.states[n-1].BatchTime.Equal(rigBatch(2)) {
		t.Errorf("state sizes %+v, want updateStateByKey's 3 keys at batch 2", rec.states)
	}
}

// TestRuntimeEventsOfMapWithState: mapWithState's state size is its keys,
// not its partitions.
func TestRuntimeEventsOfMapWithState(t *testing.T) {
	rec := newRuntimeLog()
	q := engine.NewQueue[string]()
	q.Push("a", "b", "a", "c", "d")
	setup := func(ssc *engine.Context) error {
		pairs := engine.Map(engine.QueueStream(ssc, q, true), func(w string) engine.Pair[string, int] { return engine.KV(w, 1) })
		engine.MapWithState(pairs, engine.StateSpec[string, int, int, int]{Func: func(_ time.Time, _ string, v engine.Opt[int], s *engine.State[int]) int {
			s.Update(s.Get() + v.Value)
			return s.Get()
		}}).ForeachRDD(func(context.Context, time.Time, *engine.RDD[int]) error { return nil })
		return nil
	}
	r, err := newRig(t, t.TempDir(), rigStart, setup, []engine.Option{engine.WithListener(rec)})
	must(t, err)
	must(t, r.ssc.Start())
	r.advance(1)
	r.ssc.Stop(false)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.states) != 1 || rec.states[0].Keys != 4 {
		t.Errorf("state sizes %+v, want mapWithState's 4 keys", rec.states)
	}
}

// TestRuntimeEventsOfFailures: every failed attempt of a task is heard with
// its kind, and the batch that fails and stops the context with
// OnBatchFailed.
func TestRuntimeEventsOfFailures(t *testing.T) {
	c := conf.Defaults()
	must(t, c.Set(conf.Master, "local[2]"))
	must(t, c.Set(conf.TaskMaxFailures, "2"))
	rec := newRuntimeLog()
	clock := engine.NewManualClock(rigStart)
	ssc, err := engine.NewContext(c, time.Second, engine.WithClock(clock), engine.WithListener(rec),
		engine.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))), engine.WithStdout(io.Discard))
	must(t, err)
	defer ssc.Stop(false)
	q := engine.NewQueue[string]()
	q.Push("a", "b")
	sinkErr := errors.New("sink down")
	engine.QueueStream(ssc, q, true).Repartition(1).ForeachPartition(func(context.Context, time.Time, int, iter.Seq[string]) error { return sinkErr })
	must(t, ssc.Start())
	clock.Set(rigBatch(1))
	if err := waitDone(t, ssc); !errors.Is(err, sinkErr) {
		t.Fatalf("context ended with %v, want the sink's error", err)
	}

	rec.mu.Lock()
	defer rec.mu.Unlock()
	if n := rec.attempts[[2]string{task.Failed.String(), task.Own.String()}]; n != 2 {
		t.Errorf("failed attempts of kind own: %d, want 2 (gostream.task.maxFailures); all: %v", n, rec.attempts)
	}
	if len(rec.failed) != 1 || !rec.failed[0].BatchTime.Equal(rigBatch(1)) || !errors.Is(rec.failed[0].Err, sinkErr) {
		t.Errorf("failed batches %+v, want batch 1 with the sink's error", rec.failed)
	}
}
