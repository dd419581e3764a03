package engine_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/hdfsstore"
	"github.com/gostream/gostream/internal/logtest"
)

// rig runs a context made by GetOrCreate on a manual clock, so a test can
// stop it, make a new one on the same checkpoint directory and compare.
type rig struct {
	t     *testing.T
	ssc   *engine.Context
	clock *engine.ManualClock

	mu        sync.Mutex
	completed map[int64]bool
	changed   chan struct{}
}

var rigStart = time.UnixMilli(1_000_000_000_000)

func rigBatch(i int) time.Time { return rigStart.Add(time.Duration(i) * time.Second) }

func newRig(t *testing.T, dir string, now time.Time, setup engine.Setup, opts []engine.Option, kv ...string) (*rig, error) {
	t.Helper()
	c := conf.Defaults()
	must(t, c.Set(conf.Master, "local[2]"))
	for i := 0; i+1 < len(kv); i += 2 {
		must(t, c.Set(kv[i], kv[i+1]))
	}
	r := &rig{t: t, clock: engine.NewManualClock(now), completed: map[int64]bool{}, changed: make(chan struct{})}
	opts = append([]engine.Option{engine.WithConf(c), engine.WithClock(r.clock),
		engine.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))), engine.WithStdout(io.Discard)}, opts...)
	ssc, err := engine.GetOrCreate(dir, time.Second, setup, opts...)
	if err != nil {
		return nil, err
	}
	r.ssc = ssc
	ssc.AddListener(r)
	t.Cleanup(func() { ssc.Stop(false) })
	return r, nil
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (r *rig) OnBatchCompleted(b engine.BatchInfo) {
	r.mu.Lock()
	r.completed[b.BatchTime.UnixMilli()] = true
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
}
func (*rig) OnBatchSubmitted(engine.BatchInfo)              {}
func (*rig) OnBatchStarted(engine.BatchInfo)                {}
func (*rig) OnOutputOperationStarted(engine.OutputOpInfo)   {}
func (*rig) OnOutputOperationCompleted(engine.OutputOpInfo) {}
func (*rig) OnReceiverStarted(engine.ReceiverInfo)          {}
func (*rig) OnReceiverStopped(engine.ReceiverInfo)          {}
func (*rig) OnReceiverError(engine.ReceiverInfo)            {}

// waitFor waits until batch i completed.
func (r *rig) waitFor(i int) {
	r.t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		r.mu.Lock()
		done, changed := r.completed[rigBatch(i).UnixMilli()], r.changed
		r.mu.Unlock()
		if done {
			return
		}
		select {
		case <-changed:
		case <-r.ssc.Done():
			r.t.Fatalf("context stopped before batch %d: %v", i, r.ssc.AwaitTermination(context.Background()))
		case <-deadline:
			r.t.Fatalf("batch %d did not complete", i)
		}
	}
}

// advance moves the clock to batch i and waits for it.
func (r *rig) advance(i int) {
	r.clock.Set(rigBatch(i))
	r.waitFor(i)
}

// statefulApp counts words with updateStateByKey and mapWithState over a
// queue fed one push per batch; seen records every batch's outputs.
type statefulApp struct {
	pushes [][]string
	mu     sync.Mutex
	totals map[int64]map[string]int // batch → updateStateByKey state
	mapped map[int64]map[string]int // batch → mapWithState's emitted running counts
	runs   map[int64]int            // batch → output runs
}

func newStatefulApp(pushes [][]string) *statefulApp {
	return &statefulApp{pushes: pushes, totals: map[int64]map[string]int{}, mapped: map[int64]map[string]int{}, runs: map[int64]int{}}
}

func (a *statefulApp) setup(ssc *engine.Context) error {
	q := engine.NewQueue[string]()
	for _, p := range a.pushes {
		q.Push(p...)
	}
	words := engine.Map(engine.QueueStream(ssc, q, true), func(w string) engine.Pair[string, int] { return engine.KV(w, 1) })
	totals := engine.UpdateStateByKey(words, func(vs []int, s engine.Opt[int]) engine.Opt[int] {
		n := s.Value
		for _, v := range vs {
			n += v
		}
		return engine.Some(n)
	})
	totals.ForeachRDD(func(ctx context.Context, t time.Time, r *engine.RDD[engine.Pair[string, int]]) error {
		items, err := r.Collect(ctx)
		m := map[string]int{}
		for _, kv := range items {
			m[kv.Key] = kv.Value
		}
		a.mu.Lock()
		a.totals[t.UnixMilli()] = m
		a.runs[t.UnixMilli()]++
		a.mu.Unlock()
		return err
	})
	running := engine.MapWithState(words, engine.StateSpec[string, int, int, engine.Pair[string, int]]{
		Func: func(_ time.Time, k string, v engine.Opt[int], s *engine.State[int]) engine.Pair[string, int] {
			s.Update(s.Get() + v.Value)
			return engine.KV(k, s.Get())
		},
	})
	running.ForeachRDD(func(ctx context.Context, t time.Time, r *engine.RDD[engine.Pair[string, int]]) error {
		items, err := r.Collect(ctx)
		m := map[string]int{}
		for _, kv := range items {
			m[kv.Key] = max(m[kv.Key], kv.Value)
		}
		a.mu.Lock()
		a.mapped[t.UnixMilli()] = m
		a.mu.Unlock()
		return err
	})
	return nil
}

func wantTotals(pushes [][]string, n int) map[string]int {
	m := map[string]int{}
	for _, p := range pushes[:n] {
		for _, w := range p {
			m[w]++
		}
	}
	return m
}

func TestRecoveryRestoresStateAndRerunsDowntime(t *testing.T) {
	dir := t.TempDir()
	pushes := [][]string{{"a", "b"}, {"a"}, {"c", "a"}, {"b"}, {"a", "d"}, {"d"}, {"e"}}
	first := newStatefulApp(pushes)
	r1, err := newRig(t, dir, rigStart, first.setup, nil)
	must(t, err)
	must(t, r1.ssc.Start())
	for i := 1; i <= 3; i++ {
		r1.advance(i)
	}
	r1.ssc.Stop(false)
	if got, want := first.totals[rigBatch(3).UnixMilli()], wantTotals(pushes, 3); !maps.Equal(got, want) {
		t.Fatalf("first run, batch 3: %v, want %v", got, want)
	}

	// Restart two batches later: batches 4 and 5 fell into the downtime.
	second := newStatefulApp(pushes)
	r2, err := newRig(t, dir, rigBatch(5).Add(300*time.Millisecond), second.setup, nil)
	must(t, err)
	must(t, r2.ssc.Start())
	r2.waitFor(4)
	r2.waitFor(5)
	r2.advance(6)
	for i := 4; i <= 6; i++ {
		ms := rigBatch(i).UnixMilli()
		if got, want := second.totals[ms], wantTotals(pushes, i); !maps.Equal(got, want) {
			t.Errorf("after restart, batch %d: updateStateByKey state %v, want %v", i, got, want)
		}
	}
	if got := second.mapped[rigBatch(6).UnixMilli()]; got["d"] != 2 {
		t.Errorf("mapWithState after restart: running count of d = %d, want 2 (all: %v)", got["d"], got)
	}
	for i := 1; i <= 3; i++ {
		if second.runs[rigBatch(i).UnixMilli()] != 0 {
			t.Errorf("batch %d completed before the restart but ran again", i)
		}
	}
}

func TestRecoveryGraphChangeFailsNamingTheChange(t *testing.T) {
	dir := t.TempDir()
	app := newStatefulApp([][]string{{"a"}})
	r1, err := newRig(t, dir, rigStart, app.setup, nil)
	must(t, err)
	must(t, r1.ssc.Start())
	r1.advance(1)
	r1.ssc.Stop(false)

	changed := func(ssc *engine.Context) error {
		if err := app.setup(ssc); err != nil {
			return err
		}
		q := engine.NewQueue[int]()
		engine.QueueStream(ssc, q, true).Named("extra").Print(1)
		return nil
	}
	_, err = newRig(t, dir, rigBatch(2), changed, nil)
	var gc *engine.GraphChangedError
	if !errors.As(err, &gc) {
		t.Fatalf("err = %v, want a *GraphChangedError", err)
	}
	msg := err.Error()
	for _, want := range []string{`+ #`, `name="extra"`, conf.CheckpointOnGraphChange + "=discard"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}

	// discard: starts afresh and moves the old checkpoint aside.
	r3, err := newRig(t, dir, rigBatch(2), changed, nil, conf.CheckpointOnGraphChange, conf.GraphChangeDiscard)
	must(t, err)
	must(t, r3.ssc.Start())
	r3.advance(3)
	matches, _ := filepath.Glob(filepath.Join(dir, "discarded-*", "checkpoint-*"))
	if len(matches) == 0 {
		t.Errorf("discard did not keep the old checkpoint under discarded-*/")
	}
}

func TestRecoveryBadCheckpointDirectories(t *testing.T) {
	setup := newStatefulApp(nil).setup
	t.Run("foreign files start afresh", func(t *testing.T) {
		dir := t.TempDir()
		must(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("hello"), 0o644))
		must(t, os.WriteFile(filepath.Join(dir, "checkpoint-abc"), []byte("x"), 0o644))
		if _, err := newRig(t, dir, rigStart, setup, nil); err != nil {
			t.Fatalf("a directory without checkpoints should start afresh: %v", err)
		}
	})
	t.Run("newer format version", func(t *testing.T) {
		dir := t.TempDir()
		must(t, hdfsstore.WriteCheckpoint(context.Background(), hdfsstore.NewLocal(), filepath.ToSlash(dir),
			rigBatch(1), []byte(`{"version":99,"future":true}`), 10))
		_, err := newRig(t, dir, rigStart, setup, nil)
		if !errors.Is(err, engine.ErrCheckpointVersion) {
			t.Fatalf("err = %v, want ErrCheckpointVersion", err)
		}
	})
	t.Run("payload that is not JSON", func(t *testing.T) {
		dir := t.TempDir()
		must(t, hdfsstore.WriteCheckpoint(context.Background(), hdfsstore.NewLocal(), filepath.ToSlash(dir),
			rigBatch(1), []byte("\x00garbage"), 10))
		if _, err := newRig(t, dir, rigStart, setup, nil); err == nil || !strings.Contains(err.Error(), "not a gostream checkpoint") {
			t.Fatalf("err = %v, want a decode error", err)
		}
	})
	t.Run("unreadable directory", func(t *testing.T) {
		dir := t.TempDir()
		fsys := &faultFS{FS: hdfsstore.NewLocal(), failReadDir: fs.ErrPermission}
		_, err := newRig(t, dir, rigStart, setup, []engine.Option{engine.WithFileSystem(fsys)})
		if !errors.Is(err, fs.ErrPermission) {
			t.Fatalf("err = %v, want a permission error (not a fresh start)", err)
		}
	})
	// The newest checkpoint is damaged: recovery reads the .bk of its
	// batch when there is one, else the previous batch's checkpoint, and
	// says which file it read and which it skipped.
	for _, backup := range []bool{true, false} {
		t.Run(fmt.Sprintf("newest checkpoint corrupt falls back (backup %v)", backup), func(t *testing.T) {
			dir := t.TempDir()
			app := newStatefulApp([][]string{{"a"}, {"a"}, {"a"}, {"a"}})
			r1, err := newRig(t, dir, rigStart, app.setup, nil)
			must(t, err)
			must(t, r1.ssc.Start())
			// The checkpointer folds events that queue up into one write, so
			// wait for each batch's checkpoint: the test needs older ones.
			ckpt := func(i int) string { return filepath.Join(dir, hdfsstore.CheckpointName(rigBatch(i))) }
			for i := 1; i <= 3; i++ {
				r1.advance(i)
				eventually(t, "checkpoint of batch "+strconv.Itoa(i), func() bool {
					_, err := os.Stat(ckpt(i))
					return err == nil
				})
			}
			r1.ssc.Stop(false)
			newest, want := ckpt(3), ckpt(2)
			if backup { // an intact earlier copy of the newest batch's checkpoint
				data, err := os.ReadFile(newest)
				must(t, err)
				must(t, os.WriteFile(newest+".bk", data, 0o644))
				want = newest + ".bk"
			} else if err := os.Remove(newest + ".bk"); err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.Fatal(err)
			}
			must(t, os.WriteFile(newest, []byte("GSCK garbage"), 0o644))
			rec, log := logtest.New()
			app2 := newStatefulApp(app.pushes)
			r2, err := newRig(t, dir, rigBatch(4), app2.setup, []engine.Option{engine.WithLogger(log)})
			must(t, err)
			must(t, r2.ssc.Start())
			r2.waitFor(4)
			if got := app2.totals[rigBatch(4).UnixMilli()]; got["a"] != 4 {
				t.Errorf("after falling back to an older checkpoint, a = %d, want 4", got["a"])
			}
			var skipped, read []string
			for _, r := range rec.Records() {
				switch r.Message {
				case "checkpoint unusable, trying an older one":
					skipped = append(skipped, r.Attrs["err"])
				case "recovering from checkpoint":
					read = append(read, r.Attrs["checkpoint"])
				}
			}
			if len(skipped) != 1 || !strings.Contains(skipped[0], newest+":") {
				t.Errorf("warnings about damaged checkpoints: %q, want one naming %s", skipped, newest)
			}
			if len(read) != 1 || read[0] != want {
				t.Errorf("recovered from %q, want %s", read, want)
			}
		})
	}
}

// faultFS wraps an FS and fails chosen operations.
type faultFS struct {
	hdfsstore.FS
	mu          sync.Mutex
	failReadDir error
	failStat    error
	failCreate  func(name string) error
}

func (f *faultFS) Stat(ctx context.Context, name string) (fs.FileInfo, error) {
	f.mu.Lock()
	err := f.failStat
	f.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("faultFS: stat %s: %w", name, err)
	}
	return f.FS.Stat(ctx, name)
}

func (f *faultFS) ReadDir(ctx context.Context, name string) ([]fs.FileInfo, error) {
	f.mu.Lock()
	err := f.failReadDir
	f.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("faultFS: readdir %s: %w", name, err)
	}
	return f.FS.ReadDir(ctx, name)
}

func (f *faultFS) Create(ctx context.Context, name string) (hdfsstore.Writer, error) {
	f.mu.Lock()
	fail := f.failCreate
	f.mu.Unlock()
	if fail != nil {
		if err := fail(name); err != nil {
			return nil, err
		}
	}
	return f.FS.Create(ctx, name)
}
