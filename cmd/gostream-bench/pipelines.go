package main

import (
	"context"
	"strings"
	"time"

	"github.com/gostream/gostream/engine"
)

// pipeline is a streaming job measured by the benchmark: it consumes the
// generated lines and registers its output operation.
type pipeline struct {
	name     string
	needsRun time.Duration // shortest trial that shows steady state
	wal      bool          // receiver write-ahead log on (in the trial's temp checkpoint directory)
	words    int           // the generator's vocabulary; 0: its default (1,000 words)
	build    func(lines *engine.DStream[string])
}

var pipelines = map[string]pipeline{
	"grep": {name: "grep", build: func(lines *engine.DStream[string]) {
		matches := lines.Filter(func(l string) bool { return strings.Contains(l, "w17 ") })
		countEach(matches)
	}},
	"wordcount": {name: "wordcount", build: func(lines *engine.DStream[string]) {
		countEach(wordCounts(lines))
	}},
	"wordcount_wal": {name: "wordcount_wal", wal: true, build: func(lines *engine.DStream[string]) {
		countEach(wordCounts(lines))
	}},
	"windowed": {name: "windowed", needsRun: 45 * time.Second, build: func(lines *engine.DStream[string]) {
		pairs := engine.Map(engine.FlatMap(lines, strings.FieldsSeq), one)
		windowed := engine.ReduceByKeyAndWindowInv(pairs, add, sub, 30*time.Second, 10*time.Second,
			func(kv engine.Pair[string, int64]) bool { return kv.Value != 0 })
		countEach(windowed)
	}},
	// The state benchmarks keep a count per word across batches: 10,034 of
	// the 10,800 words occur in the generator's lines, a 10,000-key state.
	"updatestate": {name: "updatestate", words: stateWords, build: func(lines *engine.DStream[string]) {
		pairs := engine.Map(engine.FlatMap(lines, strings.FieldsSeq), one)
		countEach(engine.UpdateStateByKey(pairs, func(counts []int64, total engine.Opt[int64]) engine.Opt[int64] {
			for _, c := range counts {
				total.Value += c
			}
			return engine.Some(total.Value)
		}))
	}},
	"mapwithstate": {name: "mapwithstate", words: stateWords, build: func(lines *engine.DStream[string]) {
		pairs := engine.Map(engine.FlatMap(lines, strings.FieldsSeq), one)
		countEach(engine.MapWithState(pairs, engine.StateSpec[string, int64, int64, engine.Pair[string, int64]]{
			Func: func(_ time.Time, word string, c engine.Opt[int64], total *engine.State[int64]) engine.Pair[string, int64] {
				n := total.Get() + c.Value
				total.Update(n)
				return engine.KV(word, n)
			},
		}).DStream)
	}},
}

const stateWords = 10_800

func wordCounts(lines *engine.DStream[string]) *engine.DStream[engine.Pair[string, int64]] {
	return engine.ReduceByKey(engine.Map(engine.FlatMap(lines, strings.FieldsSeq), one), add)
}

func one(w string) engine.Pair[string, int64] { return engine.KV(w, int64(1)) }
func add(a, b int64) int64                    { return a + b }
func sub(a, b int64) int64                    { return a - b }

// countEach computes every batch in full, as an output operation does.
func countEach[T any](d *engine.DStream[T]) {
	d.ForeachRDD(func(ctx context.Context, _ time.Time, r *engine.RDD[T]) error {
		_, err := r.Count(ctx)
		return err
	})
}

// limitLoop is the reference: the same word count as a plain loop over the
// same lines, on one goroutine. It returns lines per second.
func limitLoop(lines []string, d time.Duration) float64 {
	counts := map[string]int64{}
	start := time.Now()
	n := 0
	for time.Since(start) < d {
		for _, line := range lines {
			for w := range strings.FieldsSeq(line) {
				counts[w]++
			}
		}
		n += len(lines)
	}
	return float64(n) / time.Since(start).Seconds()
}
