package engine_test

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
	"github.com/gostream/gostream/engine/task"
)

// fakeHost runs tasks on in-process task runners (two "executors" that
// built the graph themselves) and keeps their outputs in memory.
type fakeHost struct {
	servers []cluster.TaskRunner
	lose    int   // so many RunTask calls fail as if the executor went away
	fail    error // every RunTask call fails with it
	drop    bool  // stored outputs are gone when read

	mu        sync.Mutex
	store     map[string][][]byte
	ran       map[string]int // stage ref → tasks run by the executors
	calls     int            // RunTask calls
	attempts  map[string]int // RunTask calls by task
	forgotten int64
}

func (h *fakeHost) Cores() int { return len(h.servers) }

func (h *fakeHost) RunTask(ctx context.Context, t cluster.Task, inputs cluster.InputReader) (rdd.MapOutput, error) {
	h.mu.Lock()
	h.calls++
	h.attempts[fmt.Sprintf("%s/%d", t.Name, t.Partition)]++
	lost := h.lose > 0
	h.lose--
	h.mu.Unlock()
	if lost {
		return rdd.MapOutput{}, fmt.Errorf("executor e0: %w", task.ErrExecutorLost)
	}
	if h.fail != nil {
		return rdd.MapOutput{}, h.fail
	}
	exec := t.Partition % len(h.servers)
	res, err := h.servers[exec].RunTask(ctx, t.Spec, inputs)
	if err != nil {
		return rdd.MapOutput{}, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	key := fmt.Sprintf("%s/%d#%d", t.Name, t.Partition, len(h.store))
	h.store[key] = res.Buckets
	h.ran[t.Name]++
	return rdd.MapOutput{Executor: fmt.Sprintf("e%d", exec), Addr: "fake", Key: key}, nil
}

func (h *fakeHost) ReadBucket(_ context.Context, out rdd.MapOutput, reduce int) ([]byte, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	b, ok := h.store[out.Key]
	if !ok || h.drop {
		return nil, fmt.Errorf("map output %s not held by %s (%w)", out.Key, out.Executor, task.ErrOutputMissing)
	}
	return b[reduce], nil
}

func (h *fakeHost) ForgetShuffles(_ context.Context, before int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.forgotten = max(h.forgotten, before)
}

func (h *fakeHost) tasks() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, c := range h.ran {
		n += c
	}
	return n
}

// remoteApp is a graph whose shuffles can run on executors: a word count,
// a second shuffle over its result (executors read each other's outputs),
// a join of two inputs, state on top (which stays on the driver), and a
// ForeachPartition output (whose tasks run where the partitions are).
type remoteApp struct {
	lines, other *engine.Queue[string]
	parts        *partSink // shared by every copy of the app: executors write to it
	mu           sync.Mutex
	out          map[string][]string // output → batches rendered
}

// partSink is what ForeachPartition tasks wrote, by batch.
type partSink struct {
	mu  sync.Mutex
	got map[int64][]string
}

func (s *partSink) batches() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, ms := range slices.Sorted(maps.Keys(s.got)) {
		items := slices.Clone(s.got[ms])
		slices.Sort(items)
		out = append(out, strings.Join(items, " "))
	}
	return out
}

func (a *remoteApp) setup(ssc *engine.Context) error {
	words := engine.FlatMap(engine.QueueStream(ssc, a.lines, true), strings.FieldsSeq)
	pairs := engine.Map(words, func(w string) engine.Pair[string, int] { return engine.KV(w, 1) })
	counts := engine.ReduceByKey(pairs, func(x, y int) int { return x + y }, 3)
	byCount := engine.ReduceByKey(engine.Map(counts, func(kv engine.Pair[string, int]) engine.Pair[int, int] { return engine.KV(kv.Value, 1) }),
		func(x, y int) int { return x + y }, 2)
	tags := engine.Map(engine.FlatMap(engine.QueueStream(ssc, a.other, true), strings.FieldsSeq),
		func(w string) engine.Pair[string, string] { return engine.KV(w, "tagged") })
	joined := engine.Join(counts, tags)
	totals := engine.UpdateStateByKey(counts, func(vs []int, s engine.Opt[int]) engine.Opt[int] {
		for _, v := range vs {
			s.Value += v
		}
		s.Ok = true
		return s
	})
	a.collect("counts", counts)
	a.collect("byCount", byCount)
	a.collect("joined", joined)
	a.collect("totals", totals)
	counts.ForeachPartition(func(_ context.Context, t time.Time, _ int, items iter.Seq[engine.Pair[string, int]]) error {
		a.parts.mu.Lock()
		defer a.parts.mu.Unlock()
		for kv := range items {
			a.parts.got[t.UnixMilli()] = append(a.parts.got[t.UnixMilli()], fmt.Sprint(kv))
		}
		return nil
	})
	return nil
}

func (a *remoteApp) collect(name string, d any) {
	render := func(items []string) {
		slices.Sort(items)
		a.mu.Lock()
		a.out[name] = append(a.out[name], strings.Join(items, " "))
		a.mu.Unlock()
	}
	switch d := d.(type) {
	case *engine.DStream[engine.Pair[string, int]]:
		d.ForeachRDD(func(ctx context.Context, _ time.Time, r *engine.RDD[engine.Pair[string, int]]) error {
			items, err := r.Collect(ctx)
			render(fmtAll(items))
			return err
		})
	case *engine.DStream[engine.Pair[int, int]]:
		d.ForeachRDD(func(ctx context.Context, _ time.Time, r *engine.RDD[engine.Pair[int, int]]) error {
			items, err := r.Collect(ctx)
			render(fmtAll(items))
			return err
		})
	case *engine.DStream[engine.Pair[string, engine.Joined[int, string]]]:
		d.ForeachRDD(func(ctx context.Context, _ time.Time, r *engine.RDD[engine.Pair[string, engine.Joined[int, string]]]) error {
			items, err := r.Collect(ctx)
			render(fmtAll(items))
			return err
		})
	}
}

func fmtAll[T any](items []T) []string {
	out := make([]string, len(items))
	for i, x := range items {
		out[i] = fmt.Sprint(x)
	}
	return out
}

var remoteBatches = [][2]string{
	{"a b a c", "a x"},
	{"b b d", "b"},
	{"", "c"},
	{"a e e e f", "e f a"},
}

func newRemoteApp(parts *partSink) *remoteApp {
	return &remoteApp{lines: engine.NewQueue[string](), other: engine.NewQueue[string](), parts: parts, out: map[string][]string{}}
}

// runRemoteApp runs the batches with host (nil: local tasks only) and
// returns every output.
func runRemoteApp(t *testing.T, host *fakeHost, settings ...string) map[string][]string {
	t.Helper()
	c := conf.Defaults()
	must(t, c.Set(conf.Master, "local[2]"))
	for i := 0; i+1 < len(settings); i += 2 {
		must(t, c.Set(settings[i], settings[i+1]))
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	parts := &partSink{got: map[int64][]string{}}
	if host != nil {
		for range 2 {
			exec := newRemoteApp(parts) // an executor's own copy of the graph
			host.servers = append(host.servers, engine.NewExecutor(c, time.Second, exec.setup).TaskRunner(host, nil))
		}
	}
	clock := engine.NewManualClock(time.UnixMilli(1_000_000_000_000))
	opts := []engine.Option{engine.WithClock(clock), engine.WithLogger(quiet), engine.WithStdout(io.Discard)}
	if host != nil {
		opts = append(opts, engine.WithTaskHost(host))
	}
	ssc, err := engine.NewContext(c, time.Second, opts...)
	must(t, err)
	app := newRemoteApp(parts)
	for _, b := range remoteBatches {
		app.lines.Push(strings.Split(b[0], " ")...)
		app.other.Push(strings.Fields(b[1])...)
	}
	ssc.Checkpoint(t.TempDir())
	must(t, app.setup(ssc))
	done := make(chan struct{}, 16)
	ssc.AddListener(batchDone{ch: done})
	must(t, ssc.Start())
	defer ssc.Stop(false)
	for i := range remoteBatches {
		clock.Set(time.UnixMilli(1_000_000_000_000).Add(time.Duration(i+1) * time.Second))
		select {
		case <-done:
		case <-ssc.Done():
			t.Fatalf("stopped before batch %d completed: %v", i, ssc.AwaitTermination(context.Background()))
		case <-time.After(20 * time.Second):
			t.Fatalf("batch %d did not complete", i)
		}
	}
	app.mu.Lock()
	defer app.mu.Unlock()
	out := maps.Clone(app.out)
	out["foreachPartition"] = parts.batches()
	return out
}

// batchDone signals each completed batch.
type batchDone struct {
	engine.NopListener
	ch chan struct{}
}

func (d batchDone) OnBatchCompleted(engine.BatchInfo) { d.ch <- struct{}{} }

func newFakeHost() *fakeHost {
	return &fakeHost{store: map[string][][]byte{}, ran: map[string]int{}, attempts: map[string]int{}}
}

func TestRemoteMapTasksMatchLocal(t *testing.T) {
	want := runRemoteApp(t, nil)
	if len(want["counts"]) != len(remoteBatches) {
		t.Fatalf("local run: %v", want)
	}
	host := newFakeHost()
	got := runRemoteApp(t, host)
	if !maps.EqualFunc(got, want, slices.Equal) {
		t.Errorf("with tasks on executors:\n got  %v\n want %v", got, want)
	}
	if host.tasks() == 0 {
		t.Fatal("no map task ran on an executor")
	}
	// Both the word count's and the second shuffle's map tasks ran there:
	// the second read the first's outputs from the "executors".
	var nodes []string
	for name := range host.ran {
		if node, _, ok := strings.Cut(name, "@"); ok {
			nodes = append(nodes, node)
		}
	}
	slices.Sort(nodes)
	if len(slices.Compact(nodes)) < 3 {
		t.Errorf("map tasks ran for the stages %v, want the word count's, the second count's and the join's", slices.Sorted(maps.Keys(host.ran)))
	}
	if !slices.ContainsFunc(slices.Collect(maps.Keys(host.ran)), func(name string) bool { return strings.HasPrefix(name, "foreachPartition") }) {
		t.Errorf("no ForeachPartition task ran on an executor (tasks: %v)", host.ran)
	}
	if host.forgotten == 0 {
		t.Error("the driver never told the executors to forget old map outputs")
	}
}

func TestRemoteMapTasksFallBack(t *testing.T) {
	want := runRemoteApp(t, nil)
	t.Run("executor lost: the task runs elsewhere, uncounted", func(t *testing.T) {
		host := newFakeHost()
		host.lose = 3
		// With one attempt allowed, only uncounted losses let it succeed.
		if got := runRemoteApp(t, host, conf.TaskMaxFailures, "1"); !maps.EqualFunc(got, want, slices.Equal) {
			t.Errorf("got %v, want %v", got, want)
		}
		if host.tasks() == 0 {
			t.Error("no task ran on an executor after the losses")
		}
	})
	t.Run("outputs lost: the map task is recomputed", func(t *testing.T) {
		host := newFakeHost()
		host.drop = true
		if got := runRemoteApp(t, host); !maps.EqualFunc(got, want, slices.Equal) {
			t.Errorf("got %v, want %v", got, want)
		}
		if host.tasks() == 0 {
			t.Error("no map task ran on an executor")
		}
	})
}

func TestTaskServerRefusesAnotherGraph(t *testing.T) {
	srv := engine.NewExecutor(conf.Defaults(), time.Second, func(ssc *engine.Context) error {
		engine.QueueStream(ssc, engine.NewQueue[int](), true).Print(1)
		return nil
	}).TaskRunner(nil, nil)
	spec := []byte(`{"fingerprint":"0000","stage":"0@1000/0","parallelism":2}`)
	_, err := srv.RunTask(context.Background(), spec, nil)
	if err == nil || !strings.Contains(err.Error(), "differs from the driver's") || task.KindOf(err) != task.Protocol {
		t.Fatalf("err = %v, want a graph mismatch, a protocol error", err)
	}
	if _, err := srv.RunTask(context.Background(), []byte("{"), nil); task.KindOf(err) != task.Protocol {
		t.Fatalf("a corrupt spec: err = %v, want a protocol error", err)
	}
}

// TestRemoteProtocolErrorsFailTheBatch: an executor that cannot act on a
// task (another build, say) is not a reason to try the task again: the
// batch fails with that error after one attempt.
func TestRemoteProtocolErrorsFailTheBatch(t *testing.T) {
	host := newFakeHost()
	host.fail = fmt.Errorf("executor e1: graph differs (%w)", task.ErrProtocol)
	c := conf.Defaults()
	must(t, c.Set(conf.Master, "local[2]"))
	host.servers = []cluster.TaskRunner{nil}
	clock := engine.NewManualClock(time.UnixMilli(1_000_000_000_000))
	ssc, err := engine.NewContext(c, time.Second, engine.WithTaskHost(host), engine.WithClock(clock),
		engine.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))), engine.WithStdout(io.Discard))
	must(t, err)
	q := engine.NewQueue[string]()
	q.Push("a", "b")
	engine.CountByValue(engine.QueueStream(ssc, q, true)).Print(10)
	must(t, ssc.Start())
	clock.Set(time.UnixMilli(1_000_000_001_000))
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	err = ssc.AwaitTermination(ctx)
	if task.KindOf(err) != task.Protocol {
		t.Fatalf("batch error %v, want the protocol error", err)
	}
	host.mu.Lock()
	defer host.mu.Unlock()
	for task, n := range host.attempts {
		if n != 1 {
			t.Errorf("task %s: %d attempts, want 1", task, n)
		}
	}
}
