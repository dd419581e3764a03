package engine_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/engine"
)

// stateOp builds a stateful stream over words whose state is saved every
// `every` (0: the default) and shows each batch's state as "key=count".
type stateOp func(words *engine.DStream[string], every time.Duration) *engine.DStream[string]

var stateOps = map[string]stateOp{
	"updateStateByKey": func(d *engine.DStream[string], every time.Duration) *engine.DStream[string] {
		counts := engine.UpdateStateByKey(wordOnes(d), func(vs []int, s engine.Opt[int]) engine.Opt[int] {
			return engine.Some(s.Value + len(vs))
		})
		return showCounts(everyOrDefault(counts, every))
	},
	// The number of words of every batch so far: a past batch recomputed
	// with other data than it had shows for good.
	"batchHistory": func(d *engine.DStream[string], every time.Duration) *engine.DStream[string] {
		seen := engine.Map(d, func(string) engine.Pair[string, int] { return engine.KV("batches", 1) })
		history := engine.UpdateStateByKey(seen, func(vs []int, s engine.Opt[string]) engine.Opt[string] {
			return engine.Some(s.Value + strconv.Itoa(len(vs)))
		})
		return showCounts(everyOrDefault(history, every))
	},
	"mapWithState": func(d *engine.DStream[string], every time.Duration) *engine.DStream[string] {
		running := engine.MapWithState(wordOnes(d), engine.StateSpec[string, int, int, int]{
			Func: func(_ time.Time, _ string, v engine.Opt[int], s *engine.State[int]) int {
				s.Update(s.Get() + v.Value)
				return s.Get()
			},
		})
		return showCounts(everyOrDefault(running.StateSnapshots(), every)) // reaches the internal state
	},
	"countByValueAndWindow": func(d *engine.DStream[string], every time.Duration) *engine.DStream[string] {
		return showCounts(everyOrDefault(engine.CountByValueAndWindow(d, 3*time.Second, time.Second), every))
	},
}

func wordOnes(d *engine.DStream[string]) *engine.DStream[engine.Pair[string, int]] {
	return engine.Map(d, func(w string) engine.Pair[string, int] { return engine.KV(w, 1) })
}

func everyOrDefault[T any](d *engine.DStream[T], every time.Duration) *engine.DStream[T] {
	if every > 0 {
		return d.Checkpoint(every)
	}
	return d
}

func showCounts[V any](d *engine.DStream[engine.Pair[string, V]]) *engine.DStream[string] {
	return engine.Map(d, func(kv engine.Pair[string, V]) string { return fmt.Sprintf("%s=%v", kv.Key, kv.Value) })
}

// queueSource pushes each word onto a queue stream.
type queueSource struct{ q *engine.Queue[string] }

func (s queueSource) stream(ssc *engine.Context) *engine.DStream[string] {
	return engine.QueueStream(ssc, s.q, true)
}

func (s queueSource) feed(_ *testing.T, _ int, word string) { s.q.Push(word) }

var intervalWords = strings.Fields("a b a c b a d a b c a e b a d a")

func TestCheckpointIntervalBadIntervalIsAGraphError(t *testing.T) {
	setup := func(ssc *engine.Context) error {
		words := engine.QueueStream(ssc, engine.NewQueue[string](), true)
		counts := engine.UpdateStateByKey(wordOnes(words), func(vs []int, s engine.Opt[int]) engine.Opt[int] {
			return engine.Some(s.Value + len(vs))
		})
		counts.Checkpoint(1500 * time.Millisecond).Checkpoint(0)
		showCounts(counts).Checkpoint(2 * time.Second).Print(1)
		return nil
	}
	_, err := newRig(t, t.TempDir(), rigStart, setup, nil)
	if err == nil {
		t.Fatal("bad checkpoint intervals were accepted")
	}
	for _, want := range []string{
		"checkpoint interval 1.5s must be a positive multiple of the stream's slide duration 1s (e.g. 2s)",
		"checkpoint interval 0s must be a positive multiple",
		"checkpoint(2s) on map (#", "only stateful streams save state",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}

	// Every stateful stream, MapWithState's mapped records and CountByWindow included, takes one.
	valid := func(ssc *engine.Context) error {
		words := engine.QueueStream(ssc, engine.NewQueue[string](), true)
		for _, op := range stateOps {
			op(words, 2*time.Second).Print(1)
		}
		mapped := engine.MapWithState(wordOnes(words), engine.StateSpec[string, int, int, int]{
			Func: func(time.Time, string, engine.Opt[int], *engine.State[int]) int { return 0 },
		})
		mapped.Checkpoint(3 * time.Second).Print(1)
		words.CountByWindow(2*time.Second, 2*time.Second).Checkpoint(4 * time.Second).Print(1)
		return nil
	}
	if _, err := newRig(t, t.TempDir(), rigStart, valid, nil); err != nil {
		t.Fatalf("valid checkpoint intervals: %v", err)
	}
}

// snapshotBatches lists, per operator, the batches whose state was saved
// in checkpoint directory dir, as "1,2,3"; sorted.
func snapshotBatches(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "state"))
	must(t, err)
	byNode := map[string][]int{}
	for _, e := range entries {
		node, at, ok := strings.Cut(e.Name(), "-")
		ms, err := strconv.ParseInt(at, 10, 64)
		if !ok || err != nil {
			t.Fatalf("unexpected file in the state directory: %s", e.Name())
		}
		byNode[node] = append(byNode[node], int(time.UnixMilli(ms).Sub(rigStart)/time.Second))
	}
	var out []string
	for _, batches := range byNode {
		slices.Sort(batches)
		s := make([]string, len(batches))
		for i, b := range batches {
			s[i] = strconv.Itoa(b)
		}
		out = append(out, strings.Join(s, ","))
	}
	slices.Sort(out)
	return out
}

// TestCheckpointIntervalSnapshotsAtMultiples counts the snapshot files of
// three stateful streams: updateStateByKey with the default interval (10 s
// for 1 s batches), mapWithState every 3 s, an inverse window every 2 s.
// Over a receiver with the WAL they are saved at the multiples of their
// interval only; over a queue stream, which cannot replay, every batch, and
// the inverse window's per-batch reductions too.
func TestCheckpointIntervalSnapshotsAtMultiples(t *testing.T) {
	op := func(d *engine.DStream[string]) *engine.DStream[string] {
		return stateOps["updateStateByKey"](d, 0).Union(
			stateOps["mapWithState"](d, 3*time.Second), stateOps["countByValueAndWindow"](d, 2*time.Second))
	}
	words := intervalWords[:12]
	everyBatch := "1,2,3,4,5,6,7,8,9,10,11,12"
	for _, c := range []struct {
		name   string
		source func() wordSource
		kv     []string
		want   []string
	}{
		{"receiver with WAL", func() wordSource { return receiverSource{newPushReceiver()} },
			[]string{conf.ReceiverWALEnable, "true"}, []string{"10", "2,4,6,8,10,12", "3,6,9,12"}},
		{"queue", func() wordSource { return queueSource{engine.NewQueue[string]()} },
			nil, []string{everyBatch, everyBatch, everyBatch, everyBatch}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			kv := append([]string{conf.CheckpointRetained, "100"}, c.kv...) // nothing is cleaned
			runWordApp(t, dir, c.source, op, words, 0, kv...)
			slices.Sort(c.want)
			if got := snapshotBatches(t, dir); !slices.Equal(got, c.want) {
				t.Errorf("snapshots per operator (batches) = %q, want %q", got, c.want)
			}
		})
	}
}

// TestCheckpointIntervalReplayOverWAL: a driver restarted between two state
// snapshots restores the older one and recomputes the state of the batches
// completed after it from the WAL, so the state afterwards equals that of a
// run without a restart; the outputs of those batches do not run again.
func TestCheckpointIntervalReplayOverWAL(t *testing.T) {
	for name, op := range stateOps {
		t.Run(name, func(t *testing.T) {
			// Snapshot at batch 4; the restart at 7 recomputes 5 and 6.
			every := func(d *engine.DStream[string]) *engine.DStream[string] { return op(d, 4*time.Second) }
			checkReplay(t, intervalWords[:10], 7, func(restartAt int) map[int]string {
				return runWindowApp(t, every, intervalWords[:10], restartAt)
			})
		})
	}
	t.Run("after cleanup", func(t *testing.T) {
		// Two retained checkpoints; the snapshot at 8 needs the blocks of 9..13.
		every := func(d *engine.DStream[string]) *engine.DStream[string] {
			return stateOps["updateStateByKey"](d, 8*time.Second)
		}
		checkReplay(t, intervalWords, 14, func(restartAt int) map[int]string {
			return runWindowApp(t, every, intervalWords, restartAt, conf.CheckpointRetained, "2")
		})
	})
}

// TestCheckpointIntervalReplayOverFileStream: the same over a file stream,
// whose checkpoint keeps the files of the batches to recompute.
func TestCheckpointIntervalReplayOverFileStream(t *testing.T) {
	for name, op := range stateOps {
		t.Run(name, func(t *testing.T) {
			every := func(d *engine.DStream[string]) *engine.DStream[string] { return op(d, 5*time.Second) }
			// Snapshot at batch 5; the restart at 10 recomputes 6 to 9, which
			// the file stream's 1 s memory alone would not keep.
			checkReplay(t, intervalWords[:12], 10, func(restartAt int) map[int]string {
				src := fileSource{dir: t.TempDir()}
				return runWordApp(t, t.TempDir(), func() wordSource { return src }, every, intervalWords[:12], restartAt,
					conf.FileStreamMinRememberDuration, "1s")
			})
		})
	}
}

// checkReplay compares run(restartAt) with run(0) from the restart on.
func checkReplay(t *testing.T, words []string, restartAt int, run func(restartAt int) map[int]string) {
	t.Helper()
	want := run(0)
	got := run(restartAt)
	for i := restartAt; i <= len(words); i++ {
		if got[i] != want[i] {
			t.Errorf("state at batch %d after a restart before it: %q, want %q (a run without a restart)", i, got[i], want[i])
		}
	}
}
