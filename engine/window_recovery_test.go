package engine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/engine"
)

// wordSource is the input of a windowApp: one word per batch.
type wordSource interface {
	stream(ssc *engine.Context) *engine.DStream[string]
	feed(t *testing.T, i int, word string) // the word of batch i, before its time
}

// receiverSource stores each word as one block of a pushReceiver.
type receiverSource struct{ recv *pushReceiver }

func (s receiverSource) stream(ssc *engine.Context) *engine.DStream[string] {
	return engine.ReceiverStream(ssc, "push", engine.Receiver[string](s.recv))
}

func (s receiverSource) feed(t *testing.T, _ int, word string) { must(t, s.recv.store(t, word)) }

// fileSource writes each word into a file of a text file stream's
// directory, modified at the previous batch's time: a batch before its own
// that listed the directory again would take it too, so only the files the
// checkpoint recorded per batch re-create a past batch exactly.
type fileSource struct{ dir string }

func (s fileSource) stream(ssc *engine.Context) *engine.DStream[string] {
	return engine.TextFileStream(ssc, s.dir)
}

func (s fileSource) feed(t *testing.T, i int, word string) {
	name := filepath.Join(s.dir, fmt.Sprintf("batch-%d.txt", i))
	must(t, os.WriteFile(name, []byte(word+"\n"), 0o644))
	at := rigBatch(i - 1)
	must(t, os.Chtimes(name, at, at))
}

// windowApp applies an operator to the words of its source and records
// each batch's result as sorted strings.
type windowApp struct {
	src wordSource
	op  func(*engine.DStream[string]) *engine.DStream[string]

	mu      sync.Mutex
	windows map[int64][]string
}

func newWindowApp(src wordSource, op func(*engine.DStream[string]) *engine.DStream[string]) *windowApp {
	return &windowApp{src: src, op: op, windows: map[int64][]string{}}
}

func (a *windowApp) setup(ssc *engine.Context) error {
	a.op(a.src.stream(ssc)).ForeachRDD(func(ctx context.Context, t time.Time, r *engine.RDD[string]) error {
		items, err := r.Collect(ctx)
		slices.Sort(items)
		a.mu.Lock()
		a.windows[t.UnixMilli()] = items
		a.mu.Unlock()
		return err
	})
	return nil
}

func (a *windowApp) window(i int) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return strings.Join(a.windows[rigBatch(i).UnixMilli()], " ")
}

// windowOps are the windowed operators that recompute the whole window from
// the input's batches (no inverse function, so no state of their own).
var windowOps = map[string]func(*engine.DStream[string]) *engine.DStream[string]{
	"window": func(d *engine.DStream[string]) *engine.DStream[string] {
		return d.Window(3*time.Second, time.Second)
	},
	"reduceByWindow": func(d *engine.DStream[string]) *engine.DStream[string] {
		return engine.Map(d.ReduceByWindow(func(a, b string) string { return a + b }, 3*time.Second, time.Second), sortLetters)
	},
	"reduceByKeyAndWindow": func(d *engine.DStream[string]) *engine.DStream[string] {
		ones := engine.Map(d, func(w string) engine.Pair[string, int] { return engine.KV(w, 1) })
		counts := engine.ReduceByKeyAndWindow(ones, func(a, b int) int { return a + b }, 3*time.Second, time.Second)
		return engine.Map(counts, func(kv engine.Pair[string, int]) string { return fmt.Sprintf("%s=%d", kv.Key, kv.Value) })
	},
}

// sortLetters makes a concatenation independent of the reduce order.
func sortLetters(s string) string {
	b := []byte(s)
	slices.Sort(b)
	return string(b)
}

// TestWALWindowSurvivesRestart: the batches of a window that completed
// before a driver restart come back from the receiver WAL, so the first
// windows after the restart equal those of a run without one.
func TestWALWindowSurvivesRestart(t *testing.T) {
	words := []string{"a", "b", "c", "d", "e", "f"}
	for name, op := range windowOps {
		t.Run(name, func(t *testing.T) {
			want := runWindowApp(t, op, words, 0)
			got := runWindowApp(t, op, words, 3)
			for i := 3; i <= len(words); i++ {
				if got[i] != want[i] {
					t.Errorf("window at batch %d after a restart before it: %q, want %q (a run without a restart)", i, got[i], want[i])
				}
			}
		})
	}
}

// TestWALWindowSurvivesCleanup: cleaning the WAL after each checkpoint keeps
// the blocks of every batch still inside a window.
func TestWALWindowSurvivesCleanup(t *testing.T) {
	// Two retained checkpoints need only the last few batches' blocks; the
	// window needs eight.
	op := func(d *engine.DStream[string]) *engine.DStream[string] { return d.Window(8*time.Second, time.Second) }
	var words []string
	for i := range 16 {
		words = append(words, string(rune('a'+i)))
	}
	want := runWindowApp(t, op, words, 0, conf.CheckpointRetained, "2")
	got := runWindowApp(t, op, words, 14, conf.CheckpointRetained, "2")
	for i := 14; i <= len(words); i++ {
		if got[i] != want[i] {
			t.Errorf("window at batch %d after cleanup and a restart: %q, want %q", i, got[i], want[i])
		}
	}
}

// runWindowApp runs runWordApp over a pushReceiver with the receiver WAL on.
func runWindowApp(t *testing.T, op func(*engine.DStream[string]) *engine.DStream[string], words []string, restartAt int, kv ...string) map[int]string {
	t.Helper()
	kv = append([]string{conf.ReceiverWALEnable, "true"}, kv...)
	return runWordApp(t, t.TempDir(), func() wordSource { return receiverSource{newPushReceiver()} }, op, words, restartAt, kv...)
}

// runWordApp feeds words[i-1] before batch i, for every batch, to a source
// newSource makes for each start of the driver. restartAt > 0 kills the
// driver once the word of batch restartAt is fed (for a receiver:
// acknowledged) and restarts it just after that batch's time; the restarted
// driver must not run the outputs of batches completed before. It returns
// every batch's result, once the driver stopped. dir is the checkpoint
// directory; kv is more configuration.
func runWordApp(t *testing.T, dir string, newSource func() wordSource, op func(*engine.DStream[string]) *engine.DStream[string],
	words []string, restartAt int, kv ...string) map[int]string {
	t.Helper()
	a := newWindowApp(newSource(), op)
	r, err := newRig(t, dir, rigStart, a.setup, nil, kv...)
	must(t, err)
	must(t, r.ssc.Start())
	out := map[int]string{}
	for i := 1; i <= len(words); i++ {
		a.src.feed(t, i, words[i-1])
		if i == restartAt {
			r.ssc.Stop(false) // a crash: fed, not processed
			a = newWindowApp(newSource(), op)
			r, err = newRig(t, dir, rigBatch(i).Add(300*time.Millisecond), a.setup, nil, kv...)
			must(t, err)
			must(t, r.ssc.Start())
			r.waitFor(i)
		} else {
			r.advance(i)
		}
		out[i] = a.window(i)
	}
	r.ssc.Stop(false) // the checkpointer writes what the last batch saves
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := 1; i < restartAt; i++ {
		if _, ran := a.windows[rigBatch(i).UnixMilli()]; ran {
			t.Errorf("batch %d completed before the restart, but its output ran again after it", i)
		}
	}
	return out
}
