package container

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/engine/rdd"
)

// pipeline is a streaming graph with two shuffles in a row: the second's map
// tasks read the first's outputs, from whichever executor holds them.
type pipeline struct {
	lines *engine.Queue[string]
	mu    sync.Mutex
	out   map[int64]string // batch → "count:words" pairs, sorted
}

func newPipeline() *pipeline {
	return &pipeline{lines: engine.NewQueue[string](), out: map[int64]string{}}
}

func (p *pipeline) setup(ssc *engine.Context) error {
	words := engine.FlatMap(engine.QueueStream(ssc, p.lines, true), strings.FieldsSeq)
	counts := engine.ReduceByKey(engine.Map(words, func(w string) engine.Pair[string, int] { return engine.KV(w, 1) }),
		func(a, b int) int { return a + b }, 3)
	byCount := engine.ReduceByKey(engine.Map(counts, func(kv engine.Pair[string, int]) engine.Pair[int, int] { return engine.KV(kv.Value, 1) }),
		func(a, b int) int { return a + b }, 2)
	byCount.ForeachRDD(func(ctx context.Context, t time.Time, r *engine.RDD[engine.Pair[int, int]]) error {
		items, err := r.Collect(ctx)
		var s []string
		for _, kv := range items {
			s = append(s, fmt.Sprintf("%d:%d", kv.Key, kv.Value))
		}
		slices.Sort(s)
		p.mu.Lock()
		p.out[t.UnixMilli()] = strings.Join(s, " ")
		p.mu.Unlock()
		return err
	})
	return nil
}

var pipelineBatches = []string{"a b a c a b d", "x y z x", "", "q q q r r s s s s"}

// runPipeline runs the batches on a driver with the given options.
func runPipeline(t *testing.T, c *conf.Conf, opts ...engine.Option) map[int64]string {
	t.Helper()
	clock := engine.NewManualClock(time.UnixMilli(1_000_000_000_000))
	ssc, err := engine.NewContext(c, time.Second, append(opts, engine.WithClock(clock),
		engine.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))...)
	if err != nil {
		t.Fatal(err)
	}
	p := newPipeline()
	for _, b := range pipelineBatches {
		p.lines.Push(strings.Fields(b)...)
	}
	if err := p.setup(ssc); err != nil {
		t.Fatal(err)
	}
	if err := ssc.Start(); err != nil {
		t.Fatal(err)
	}
	defer ssc.Stop(false)
	for i := range pipelineBatches {
		ms := int64(1_000_000_000_000 + (i+1)*1000)
		clock.Set(time.UnixMilli(ms))
		deadline := time.Now().Add(10 * time.Second)
		for {
			p.mu.Lock()
			_, ok := p.out[ms]
			p.mu.Unlock()
			if ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("batch %d did not complete: %v", i, ssc.Err())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.out)
}

// The whole stack over loopback: a driver whose map tasks run on two real
// executors (engine.TaskServer behind RunExecutor), outputs kept and served
// by their shuffle servers, gives what the local master gives.
func TestPipelineOnExecutorsMatchesLocal(t *testing.T) {
	c := conf.Defaults()
	if err := c.Set(conf.Master, "local[1]"); err != nil {
		t.Fatal(err)
	}
	want := runPipeline(t, c)

	ep := newEndpoint(t)
	for _, id := range []string{"1", "2"} {
		exec := newPipeline() // each executor builds the graph itself
		startExecutorWith(t, ep, ExecutorConfig{ID: id, Cores: 1, Tasks: func(shuffle rdd.ShuffleReader) MapTaskRunner {
			return engine.NewTaskServer(c, time.Second, exec.setup, shuffle)
		}})
	}
	waitExecutors(t, ep, 2)
	got := runPipeline(t, c, engine.WithTaskHost(ep))
	if !maps.Equal(got, want) {
		t.Errorf("on executors:\n got  %v\n want %v", got, want)
	}
	for _, x := range ep.Executors() {
		if x.CompletedTasks == 0 || x.FailedTasks != 0 {
			t.Errorf("executor %s: %d map tasks completed, %d failed; want some, none failed", x.ID, x.CompletedTasks, x.FailedTasks)
		}
	}
}
