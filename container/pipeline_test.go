package container

import (
	"context"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/engine/cluster"
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

// runPipeline runs batches (lines separated by newlines) on a driver with the given
// options and returns each batch's output.
func runPipeline(t testing.TB, c *conf.Conf, batches []string, opts ...engine.Option) map[int64]string {
	t.Helper()
	clock := engine.NewManualClock(time.UnixMilli(1_000_000_000_000))
	ssc, err := engine.NewContext(c, time.Second, append(opts, engine.WithClock(clock),
		engine.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))...)
	if err != nil {
		t.Fatal(err)
	}
	p := newPipeline()
	for _, b := range batches {
		p.lines.Push(strings.Split(b, "\n")...)
	}
	if err := p.setup(ssc); err != nil {
		t.Fatal(err)
	}
	if err := ssc.Start(); err != nil {
		t.Fatal(err)
	}
	defer ssc.Stop(false)
	for i := range batches {
		ms := int64(1_000_000_000_000 + (i+1)*1000)
		clock.Set(time.UnixMilli(ms))
		deadline := time.Now().Add(time.Minute)
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

// startPipelineExecutors starts an endpoint and n one-core executors that
// run the pipeline's map tasks.
func startPipelineExecutors(t testing.TB, c *conf.Conf, n int) *Endpoint {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	ep, err := Listen(EndpointOptions{Addr: "127.0.0.1:0", Secret: "s", Timeout: 2 * time.Second, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ep.Close() })
	for i := range n {
		exec := newPipeline() // each executor builds the graph itself
		startExecutorWith(t, ep, ExecutorConfig{ID: fmt.Sprint(i + 1), Cores: 1, Logger: quiet, Tasks: func(shuffle rdd.ShuffleReader) cluster.TaskRunner {
			return engine.NewExecutor(c, time.Second, exec.setup).TaskRunner(shuffle)
		}})
	}
	waitExecutors(t, ep, n)
	return ep
}

// The whole stack over loopback: a driver whose map tasks run on two real
// executors (the engine's task runner behind RunExecutor), outputs kept and served
// by their shuffle servers, gives what the local master gives.
func TestPipelineOnExecutorsMatchesLocal(t *testing.T) {
	c := conf.Defaults()
	if err := c.Set(conf.Master, "local[1]"); err != nil {
		t.Fatal(err)
	}
	want := runPipeline(t, c, pipelineBatches)
	ep := startPipelineExecutors(t, c, 2)
	got := runPipeline(t, c, pipelineBatches, engine.WithTaskHost(ep))
	if !maps.Equal(got, want) {
		t.Errorf("on executors:\n got  %v\n want %v", got, want)
	}
	for _, x := range ep.Executors() {
		if x.CompletedTasks == 0 || x.FailedTasks != 0 {
			t.Errorf("executor %s: %d map tasks completed, %d failed; want some, none failed", x.ID, x.CompletedTasks, x.FailedTasks)
		}
	}
}

// BenchmarkPipeline compares the word count's two shuffles run on the
// local master with the same run with the map tasks on two executors over
// loopback (one process, so the same cores): the cost of the protocol.
func BenchmarkPipeline(b *testing.B) {
	const words = 200_000
	vocab := strings.Fields("the quick brown fox jumps over the lazy dog while seven wizards quietly hex jam")
	var sb strings.Builder
	for i := range words {
		sb.WriteString(vocab[(i*7+i/13)%len(vocab)])
		if i%10 == 9 {
			sb.WriteByte('\n') // lines of 10 words
		} else {
			sb.WriteByte(' ')
		}
	}
	batches := slices.Repeat([]string{sb.String()}, 5)
	c := conf.Defaults()
	if err := c.Set(conf.Master, "local[2]"); err != nil {
		b.Fatal(err)
	}
	for _, mode := range []string{"local[2]", "2 executors"} {
		b.Run(mode, func(b *testing.B) {
			var opts []engine.Option
			if mode != "local[2]" {
				opts = append(opts, engine.WithTaskHost(startPipelineExecutors(b, c, 2)))
			}
			start := time.Now()
			for range b.N {
				runPipeline(b, c, batches, opts...)
			}
			b.ReportMetric(float64(b.N*len(batches)*words)/time.Since(start).Seconds(), "words/s")
		})
	}
}

// killingRunner is a TaskRunner that stops its executor once.
type killingRunner struct {
	cluster.TaskRunner
	kill func() // stops this executor
	once sync.Once
}

// RunTask stops the executor while its first task runs: the driver loses
// the task mid-run (and any output the executor held).
func (k *killingRunner) RunTask(ctx context.Context, spec []byte, env cluster.InputReader) (cluster.MapResult, error) {
	k.once.Do(k.kill)
	return k.TaskRunner.RunTask(ctx, spec, env)
}

// Chaos: an executor dies in the middle of its first task; the task runs
// again elsewhere (the attempt lost with its executor is not counted), what
// the dead executor held is recomputed, and the output still matches the
// local master's.
func TestPipelineSurvivesAnExecutorDyingMidTask(t *testing.T) {
	c := conf.Defaults()
	if err := c.Set(conf.Master, "local[1]"); err != nil {
		t.Fatal(err)
	}
	want := runPipeline(t, c, pipelineBatches)

	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	ep, err := Listen(EndpointOptions{Addr: "127.0.0.1:0", Secret: "s", Timeout: 2 * time.Second, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ep.Close() })
	healthy := newPipeline()
	startExecutorWith(t, ep, ExecutorConfig{ID: "1", Cores: 1, Logger: quiet, Tasks: func(shuffle rdd.ShuffleReader) cluster.TaskRunner {
		return engine.NewExecutor(c, time.Second, healthy.setup).TaskRunner(shuffle)
	}})
	doomed := newPipeline()
	var kill func()
	k := &killingRunner{kill: func() { kill() }}
	kill, _ = startExecutorWith(t, ep, ExecutorConfig{ID: "2", Cores: 1, Logger: quiet, Tasks: func(shuffle rdd.ShuffleReader) cluster.TaskRunner {
		k.TaskRunner = engine.NewExecutor(c, time.Second, doomed.setup).TaskRunner(shuffle)
		return k
	}})
	waitExecutors(t, ep, 2)

	got := runPipeline(t, c, pipelineBatches, engine.WithTaskHost(ep))
	if !maps.Equal(got, want) {
		t.Errorf("after losing an executor mid-task:\n got  %v\n want %v", got, want)
	}
	if xs := ep.Executors(); len(xs) != 1 || xs[0].ID != "1" || xs[0].CompletedTasks == 0 {
		t.Errorf("executors after the loss: %+v, want executor 1 alone, having run tasks", xs)
	}
}

// flakyApp's ForeachPartition output fails the first fails attempts of each
// partition's task; every copy of the graph (the driver's, each
// executor's) shares the count.
type flakyApp struct {
	lines    *engine.Queue[string]
	fails    int
	mu       sync.Mutex
	attempts map[string]int
}

func (a *flakyApp) setup(ssc *engine.Context) error {
	engine.CountByValue(engine.QueueStream(ssc, a.lines, true), 2).ForeachPartition(
		func(_ context.Context, t time.Time, p int, items iter.Seq[engine.Pair[string, int64]]) error {
			for range items {
			}
			a.mu.Lock()
			defer a.mu.Unlock()
			key := fmt.Sprintf("%d/%d", t.UnixMilli(), p)
			a.attempts[key]++
			if a.attempts[key] <= a.fails {
				return fmt.Errorf("flaky sink: attempt %d of %s", a.attempts[key], key)
			}
			return nil
		})
	return nil
}

// attemptCounts copies the counts under the lock: an executor's goroutine
// wrote them, and the batch's end reached the test over a socket, which the
// race detector does not see as ordering.
func (a *flakyApp) attemptCounts() map[string]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return maps.Clone(a.attempts)
}

// runFlakyOnExecutors runs one batch of a flakyApp with its output's tasks
// on two real executors over loopback and returns how the batch ended.
func runFlakyOnExecutors(t *testing.T, a *flakyApp, maxFailures int) (*Endpoint, error) {
	c := conf.Defaults()
	for k, v := range map[string]string{conf.Master: "local[1]", conf.TaskMaxFailures: fmt.Sprint(maxFailures)} {
		if err := c.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	ep, err := Listen(EndpointOptions{Addr: "127.0.0.1:0", Secret: "s", Timeout: 2 * time.Second, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ep.Close() })
	for i := range 2 {
		startExecutorWith(t, ep, ExecutorConfig{ID: fmt.Sprint(i + 1), Cores: 1, Logger: quiet, Tasks: func(shuffle rdd.ShuffleReader) cluster.TaskRunner {
			return engine.NewExecutor(c, time.Second, a.setup).TaskRunner(shuffle)
		}})
	}
	waitExecutors(t, ep, 2)
	clock := engine.NewManualClock(time.UnixMilli(1_000_000_000_000))
	ssc, err := engine.NewContext(c, time.Second, engine.WithTaskHost(ep), engine.WithClock(clock), engine.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	a.lines.Push("a", "b", "a", "c")
	if err := a.setup(ssc); err != nil {
		t.Fatal(err)
	}
	completed := make(chan struct{}, 1)
	ssc.AddListener(batchCompleted{ch: completed})
	if err := ssc.Start(); err != nil {
		t.Fatal(err)
	}
	defer ssc.Stop(false)
	clock.Set(time.UnixMilli(1_000_000_001_000))
	select {
	case <-completed:
		return ep, nil
	case <-ssc.Done():
		return ep, ssc.AwaitTermination(t.Context())
	case <-time.After(time.Minute):
		t.Fatal("the batch neither completed nor failed")
		return ep, nil
	}
}

// batchCompleted is a listener signalling completed batches on ch.
type batchCompleted struct {
	engine.NopListener
	ch chan struct{}
}

func (b batchCompleted) OnBatchCompleted(engine.BatchInfo) { b.ch <- struct{}{} }

// TestTaskRetriesOnExecutors: a task whose own code fails on an executor
// runs again there, up to gostream.task.maxFailures attempts; then its batch
// fails with the task's error.
func TestTaskRetriesOnExecutors(t *testing.T) {
	a := &flakyApp{lines: engine.NewQueue[string](), fails: 2, attempts: map[string]int{}}
	ep, err := runFlakyOnExecutors(t, a, 3)
	if err != nil {
		t.Fatalf("batch failed: %v", err)
	}
	attempts := a.attemptCounts()
	if len(attempts) != 2 {
		t.Errorf("attempts %v, want both partitions' tasks", attempts)
	}
	for key, n := range attempts {
		if n != 3 {
			t.Errorf("partition %s: %d attempts, want 3", key, n)
		}
	}
	var failed int64
	for _, x := range ep.Executors() {
		failed += x.FailedTasks
	}
	if failed != 4 {
		t.Errorf("executors counted %d failed tasks, want 4 (2 per partition)", failed)
	}

	a = &flakyApp{lines: engine.NewQueue[string](), fails: 10, attempts: map[string]int{}}
	_, err = runFlakyOnExecutors(t, a, 2)
	if err == nil || !strings.Contains(err.Error(), "flaky sink") || !strings.Contains(err.Error(), "maxFailures=2") {
		t.Fatalf("batch error %v, want the sink's error after 2 attempts", err)
	}
}
