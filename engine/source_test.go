package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/engine/rdd"
)

// logSource is a direct source written with the engine's exported API
// only, as a source in another package (a Kafka direct stream) would be:
// each batch takes the next perBatch offsets of an endless log whose
// record at offset o is o itself, remembers the range it took, saves the
// ranges in the checkpoint and re-creates a batch from its range after a
// restart.
type logSource struct {
	env      *rdd.Env
	perBatch int64

	mu     sync.Mutex
	next   int64
	ranges map[int64][2]int64 // batch time (ms) → [from, until)
	asked  []int64            // batch times Batch was called for, in order
}

type logProgress struct {
	Next   int64              `json:"next"`
	Ranges map[int64][2]int64 `json:"ranges"`
}

func (s *logSource) Batch(_ context.Context, t time.Time) (*engine.RDD[int64], int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ms := t.UnixMilli()
	s.asked = append(s.asked, ms)
	r, ok := s.ranges[ms]
	if !ok {
		r = [2]int64{s.next, s.next + s.perBatch}
		s.ranges[ms], s.next = r, r[1]
	}
	// One partition per half range, as a partition per Kafka partition.
	mid := (r[0] + r[1]) / 2
	parts := [][2]int64{{r[0], mid}, {mid, r[1]}}
	return rdd.Zip(s.env, len(parts), func(_ context.Context, p int, emit func(int64)) error {
		for o := parts[p][0]; o < parts[p][1]; o++ {
			emit(o)
		}
		return nil
	}), r[1] - r[0], nil
}

func (s *logSource) Replayable() bool { return true }

func (s *logSource) Progress() (json.RawMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return json.Marshal(logProgress{Next: s.next, Ranges: maps.Clone(s.ranges)})
}

func (s *logSource) Restore(raw json.RawMessage, _ time.Time) error {
	var p logProgress
	if err := json.Unmarshal(raw, &p); err != nil {
		return fmt.Errorf("log source: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next, s.ranges = p.Next, p.Ranges
	return nil
}

func (s *logSource) Forget(t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ms := range s.ranges {
		if ms <= t.UnixMilli() {
			delete(s.ranges, ms)
		}
	}
}

// logApp sums the log's records by their remainder mod 3 with
// UpdateStateByKey; its state is snapshotted every 4 batches, so a restart
// replays the batches after the snapshot from the source.
type logApp struct {
	src    *logSource
	mu     sync.Mutex
	totals map[int64]map[int64]int64 // batch → state
}

func (a *logApp) setup(ssc *engine.Context) error {
	a.src = &logSource{env: ssc.Env(), perBatch: 6, ranges: map[int64][2]int64{}}
	nums := engine.SourceStream(ssc, "logSource", "perBatch=6", engine.Source[int64](a.src))
	byRem := engine.Map(nums, func(o int64) engine.Pair[int64, int64] { return engine.KV(o%3, o) })
	sums := engine.UpdateStateByKey(byRem, func(vs []int64, s engine.Opt[int64]) engine.Opt[int64] {
		for _, v := range vs {
			s.Value += v
		}
		s.Ok = true
		return s
	})
	sums.Checkpoint(4 * time.Second)
	sums.ForeachRDD(func(ctx context.Context, t time.Time, r *engine.RDD[engine.Pair[int64, int64]]) error {
		items, err := r.Collect(ctx)
		m := map[int64]int64{}
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

// wantLogTotals is the state after batch i: the sums of offsets 0 to 6i-1.
func wantLogTotals(i int) map[int64]int64 {
	m := map[int64]int64{}
	for o := int64(0); o < int64(6*i); o++ {
		m[o%3] += o
	}
	return m
}

// TestSourceRecoversAndReplays: a Source written outside the engine is
// checkpointed, restored and asked to re-create completed batches after a
// restart, and the state it feeds comes out exact.
func TestSourceRecoversAndReplays(t *testing.T) {
	dir := t.TempDir()
	first := &logApp{totals: map[int64]map[int64]int64{}}
	r1, err := newRig(t, dir, rigStart, first.setup, nil)
	must(t, err)
	must(t, r1.ssc.Start())
	for i := 1; i <= 6; i++ {
		r1.advance(i)
	}
	r1.ssc.Stop(false)
	if got, want := first.totals[rigBatch(6).UnixMilli()], wantLogTotals(6); !maps.Equal(got, want) {
		t.Fatalf("first run, batch 6: %v, want %v", got, want)
	}

	// Restart with batches 7 and 8 in the downtime.
	second := &logApp{totals: map[int64]map[int64]int64{}}
	r2, err := newRig(t, dir, rigBatch(8).Add(300*time.Millisecond), second.setup, nil)
	must(t, err)
	must(t, r2.ssc.Start())
	r2.waitFor(7)
	r2.waitFor(8)
	r2.advance(9)
	for i := 7; i <= 9; i++ {
		if got, want := second.totals[rigBatch(i).UnixMilli()], wantLogTotals(i); !maps.Equal(got, want) {
			t.Errorf("after restart, batch %d: state %v, want %v", i, got, want)
		}
	}
	src := second.src
	src.mu.Lock()
	defer src.mu.Unlock()
	replayed := 0
	for _, ms := range src.asked {
		if ms <= rigBatch(6).UnixMilli() {
			replayed++
		}
	}
	if replayed == 0 {
		t.Errorf("the source re-created no completed batch after the restart (asked for %v): the state was not replayed", src.asked)
	}
	if len(src.ranges) > 12 {
		t.Errorf("the source still keeps %d ranges: Forget is not called", len(src.ranges))
	}
}
