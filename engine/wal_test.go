package engine_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/hdfsstore"
)

// pushReceiver stores, on command, one block and reports StoreBlock's result.
type pushReceiver struct {
	cmds    chan []string
	results chan error
}

func newPushReceiver() *pushReceiver {
	return &pushReceiver{cmds: make(chan []string), results: make(chan error)}
}

func (p *pushReceiver) Receive(ctx context.Context, out engine.Sink[string]) error {
	for {
		select {
		case items := <-p.cmds:
			p.results <- out.StoreBlock(ctx, items)
		case <-ctx.Done():
			return nil
		}
	}
}

func (p *pushReceiver) store(t *testing.T, items ...string) error {
	t.Helper()
	select {
	case p.cmds <- items:
	case <-time.After(10 * time.Second):
		t.Fatal("receiver not running")
	}
	return <-p.results
}

// walApp counts words received by a pushReceiver with updateStateByKey.
type walApp struct {
	recv   *pushReceiver
	mu     sync.Mutex
	totals map[int64]map[string]int
}

func newWALApp() *walApp { return &walApp{recv: newPushReceiver(), totals: map[int64]map[string]int{}} }

func (a *walApp) setup(ssc *engine.Context) error {
	words := engine.Map(engine.ReceiverStream(ssc, "push", engine.Receiver[string](a.recv)),
		func(w string) engine.Pair[string, int] { return engine.KV(w, 1) })
	engine.UpdateStateByKey(words, func(vs []int, s engine.Opt[int]) engine.Opt[int] {
		return engine.Some(s.Value + len(vs))
	}).ForeachRDD(func(ctx context.Context, t time.Time, r *engine.RDD[engine.Pair[string, int]]) error {
		items, err := r.Collect(ctx)
		m := map[string]int{}
		for _, kv := range items {
			m[kv.Key] = kv.Value
		}
		a.mu.Lock()
		a.totals[t.UnixMilli()] = m
		a.mu.Unlock()
		return err
	})
	return nil
}

func (a *walApp) total(i int, w string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.totals[rigBatch(i).UnixMilli()][w]
}

// errorListener keeps receiver errors.
type errorListener struct {
	engine.NopListener
	mu   sync.Mutex
	errs []error
}

func (l *errorListener) OnReceiverError(info engine.ReceiverInfo) {
	l.mu.Lock()
	l.errs = append(l.errs, info.LastErr)
	l.mu.Unlock()
}

func (l *errorListener) all() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.errs...)
}

func TestWALAcknowledgedBlocksSurviveACrash(t *testing.T) {
	dir := t.TempDir()
	a1 := newWALApp()
	r1, err := newRig(t, dir, rigStart, a1.setup, nil, conf.ReceiverWALEnable, "true")
	must(t, err)
	must(t, r1.ssc.Start())
	must(t, a1.recv.store(t, "a", "b"))
	r1.advance(1)
	// Acknowledged, never processed: the driver dies before batch 2.
	must(t, a1.recv.store(t, "a", "c"))
	must(t, a1.recv.store(t, "a"))
	r1.ssc.Stop(false)

	a2 := newWALApp()
	r2, err := newRig(t, dir, rigBatch(1).Add(500*time.Millisecond), a2.setup, nil, conf.ReceiverWALEnable, "true")
	must(t, err)
	must(t, r2.ssc.Start())
	r2.advance(2)
	if got := a2.total(2, "a"); got != 3 {
		t.Errorf("after the restart, a = %d, want 3 (1 processed + 2 acknowledged and read back from the WAL)", got)
	}
	if got := a2.total(2, "c"); got != 1 {
		t.Errorf("after the restart, c = %d, want 1", got)
	}
}

func TestWALWriteFailureIsNotAcknowledged(t *testing.T) {
	dir := t.TempDir()
	var failing sync.Mutex
	fail := true
	errDisk := errors.New("disk on fire")
	fsys := &faultFS{FS: hdfsstore.NewLocal(), failCreate: func(name string) error {
		failing.Lock()
		defer failing.Unlock()
		if fail && strings.Contains(name, "/receivedData/") {
			return errDisk
		}
		return nil
	}}
	a := newWALApp()
	r, err := newRig(t, dir, rigStart, a.setup, []engine.Option{engine.WithFileSystem(fsys)}, conf.ReceiverWALEnable, "true")
	must(t, err)
	errs := &errorListener{}
	r.ssc.AddListener(errs)
	must(t, r.ssc.Start())
	if err := a.recv.store(t, "lost"); !errors.Is(err, errDisk) {
		t.Fatalf("StoreBlock with a failing WAL: %v, want the write error (the block must not be acknowledged)", err)
	}
	failing.Lock()
	fail = false
	failing.Unlock()
	must(t, a.recv.store(t, "kept"))
	r.advance(1)
	if a.total(1, "lost") != 0 || a.total(1, "kept") != 1 {
		t.Errorf("state %v: want only the acknowledged block", a.totals[rigBatch(1).UnixMilli()])
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(errs.all()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := errs.all(); len(got) == 0 || !errors.Is(got[0], errDisk) {
		t.Errorf("listeners got %v, want the WAL write error", got)
	}
}

func TestCheckpointCleanupKeepsFilesBounded(t *testing.T) {
	dir := t.TempDir()
	a := newWALApp()
	r, err := newRig(t, dir, rigStart, a.setup, nil, conf.ReceiverWALEnable, "true", conf.CheckpointRetained, "2")
	must(t, err)
	must(t, r.ssc.Start())
	const batches = 60
	for i := 1; i <= batches; i++ {
		must(t, a.recv.store(t, "x"))
		r.advance(i)
	}
	r.ssc.Stop(true)
	count := func(sub string) int {
		entries, _ := os.ReadDir(filepath.Join(dir, sub))
		return len(entries)
	}
	ckpts, _ := filepath.Glob(filepath.Join(dir, "checkpoint-*"))
	limit := map[string]int{"checkpoint files": 4, "state snapshots": 30, "WAL segments": 30, "metadata log segments": 90} // half of what was written: cleaning lags a little behind, by design
	for what, n := range map[string]int{
		"checkpoint files":      len(ckpts),
		"state snapshots":       count("state"),
		"WAL segments":          count(filepath.Join("receivedData", "0")),
		"metadata log segments": count("receivedBlockMetadata"),
	} {
		// 60 batches wrote 60 snapshots, 60 segments and 120+ log records;
		// what the retained checkpoints need (plus margins) is a few batches' worth.
		if n == 0 || n > limit[what] {
			t.Errorf("%s: %d files left after %d batches, want 1..%d", what, n, batches, limit[what])
		}
	}
	// What is left still recovers the full state.
	a2 := newWALApp()
	r2, err := newRig(t, dir, rigBatch(batches).Add(time.Millisecond), a2.setup, nil, conf.ReceiverWALEnable, "true")
	must(t, err)
	must(t, r2.ssc.Start())
	r2.advance(batches + 1)
	if got := a2.total(batches+1, "x"); got != batches {
		t.Errorf("after cleanup and restart x = %d, want %d", got, batches)
	}
}

func TestCheckpointPayloadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	in := t.TempDir()
	setup := func(ssc *engine.Context) error {
		engine.TextFileStream(ssc, in).Print(1)
		return nil
	}
	r, err := newRig(t, dir, rigStart, setup, nil)
	must(t, err)
	// A file for batch 2 (modified within it).
	name := filepath.Join(in, "f.txt")
	must(t, os.WriteFile(name, []byte("hello\n"), 0o644))
	must(t, os.Chtimes(name, rigBatch(2).Add(-time.Millisecond), rigBatch(2).Add(-time.Millisecond)))
	must(t, r.ssc.Start())
	r.advance(1)
	r.advance(2)
	r.ssc.Stop(false)
	ck, _, err := hdfsstore.ReadLatestCheckpoint(context.Background(), hdfsstore.NewLocal(), filepath.ToSlash(dir))
	must(t, err)
	payload := ck.Payload
	for _, want := range []string{`"version":1`, `"fingerprint"`, `textFileStream`, `"batchMs":1000`,
		fmt.Sprintf(`"zeroMs":%d`, rigStart.UnixMilli()), fmt.Sprintf(`"lastCompletedMs":%d`, rigBatch(2).UnixMilli()),
		fmt.Sprintf(`"%d":["%s"]`, rigBatch(2).UnixMilli(), filepath.ToSlash(name))} {
		if !strings.Contains(string(payload), want) {
			t.Errorf("checkpoint payload lacks %s:\n%s", want, payload)
		}
	}
}
