package container

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gostream/gostream/engine/cluster"
	"github.com/gostream/gostream/engine/rdd"
	"github.com/gostream/gostream/engine/task"
	"github.com/gostream/gostream/internal/logtest"
)

// testSpec is a map task of the fake application these tests run.
type testSpec struct {
	Batch    int64
	Input    string         // read from the driver; buckets "<input>/0" and "<input>/1"
	Upstream *rdd.MapOutput // instead: bucket 1 of this output + "!", read through the executor's shuffle reader
	Fail     string         // instead: fail with this error
	FailAs   string         // of that kind: "protocol", "fetch" (else the task's own)
	Block    bool           // first wait until released, or the executor goes away
}

// fakeTasks runs testSpecs on executors; started gets the executor of each
// task as it starts.
type fakeTasks struct {
	started chan string
	release chan struct{} // each send lets one blocked task go on

	mu            sync.Mutex
	running, most int
}

func newFakeTasks() *fakeTasks {
	return &fakeTasks{started: make(chan string, 16), release: make(chan struct{})}
}

type runnerFunc func(ctx context.Context, spec []byte, env cluster.InputReader) (cluster.MapResult, error)

func (f runnerFunc) RunTask(ctx context.Context, spec []byte, env cluster.InputReader) (cluster.MapResult, error) {
	return f(ctx, spec, env)
}

// on is ExecutorConfig.Tasks for executor id.
func (f *fakeTasks) on(id string) func(rdd.ShuffleReader, cluster.BlockReader) cluster.TaskRunner {
	return func(shuffle rdd.ShuffleReader, _ cluster.BlockReader) cluster.TaskRunner {
		return runnerFunc(func(ctx context.Context, spec []byte, env cluster.InputReader) (cluster.MapResult, error) {
			var s testSpec
			if err := json.Unmarshal(spec, &s); err != nil {
				return cluster.MapResult{}, err
			}
			f.mu.Lock()
			f.running++
			f.most = max(f.most, f.running)
			f.mu.Unlock()
			defer func() { f.mu.Lock(); f.running--; f.mu.Unlock() }()
			f.started <- id
			if s.Block {
				select {
				case <-f.release:
				case <-ctx.Done():
					return cluster.MapResult{}, ctx.Err()
				}
			}
			switch {
			case s.Fail != "" && s.FailAs == "protocol":
				return cluster.MapResult{}, fmt.Errorf("%s (%w)", s.Fail, task.ErrProtocol)
			case s.Fail != "" && s.FailAs == "fetch":
				return cluster.MapResult{}, &task.FetchFailedError{Stage: "2@1000/0", Map: 3, Executor: "9", Err: errors.New(s.Fail)}
			case s.Fail != "":
				return cluster.MapResult{}, errors.New(s.Fail)
			case s.Upstream != nil:
				b, err := shuffle.ReadBucket(ctx, *s.Upstream, 1)
				if err != nil {
					return cluster.MapResult{}, err
				}
				return cluster.MapResult{BatchMs: s.Batch, Buckets: [][]byte{append(b, '!')}}, nil
			}
			in, err := env.ReadInput(ctx, []byte(s.Input))
			if err != nil {
				return cluster.MapResult{}, err
			}
			return cluster.MapResult{BatchMs: s.Batch, Buckets: [][]byte{[]byte(string(in) + "/0"), []byte(string(in) + "/1")}}, nil
		})
	}
}

// echoInputs is the driver's input: "in:" + the request.
type echoInputs struct{}

func (echoInputs) ReadInput(_ context.Context, req []byte) ([]byte, error) {
	return append([]byte("in:"), req...), nil
}

type taskResult struct {
	out rdd.MapOutput
	err error
}

// goRunTask runs s through ep; the result comes on the channel.
func goRunTask(t *testing.T, ep *Endpoint, s testSpec) <-chan taskResult {
	t.Helper()
	spec, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	res := make(chan taskResult, 1)
	go func() {
		out, err := ep.RunTask(t.Context(), cluster.Task{Name: "3@1000/0", Partition: 0, Spec: spec}, echoInputs{})
		res <- taskResult{out, err}
	}()
	return res
}

func runTask(t *testing.T, ep *Endpoint, s testSpec) (rdd.MapOutput, error) {
	t.Helper()
	select {
	case r := <-goRunTask(t, ep, s):
		return r.out, r.err
	case <-time.After(5 * time.Second):
		t.Fatal("the task did not end")
		return rdd.MapOutput{}, nil
	}
}

func readBucket(t *testing.T, r rdd.ShuffleReader, out rdd.MapOutput, reduce int) string {
	t.Helper()
	b, err := r.ReadBucket(t.Context(), out, reduce)
	if err != nil {
		t.Fatalf("read bucket %d of %+v: %v", reduce, out, err)
	}
	return string(b)
}

func started(t *testing.T, f *fakeTasks) string {
	t.Helper()
	select {
	case id := <-f.started:
		return id
	case <-time.After(5 * time.Second):
		t.Fatal("no task started")
		return ""
	}
}

func shuffleAddr(t *testing.T, ep *Endpoint, id string) string {
	t.Helper()
	for _, x := range ep.Executors() {
		if x.ID == id {
			return x.ShuffleAddr
		}
	}
	t.Fatalf("executor %s is not registered", id)
	return ""
}

// A task runs on an executor and reads its input from the driver; the
// driver reads its buckets; another executor reads them through its shuffle
// reader, and the executor holding them reads them from its store.
func TestMapTasksRunOnExecutorsAndShareTheirOutputs(t *testing.T) {
	ep := newEndpoint(t)
	f := newFakeTasks()
	startExecutorWith(t, ep, ExecutorConfig{ID: "1", Cores: 1, Tasks: f.on("1")})
	startExecutorWith(t, ep, ExecutorConfig{ID: "2", Cores: 1, Tasks: f.on("2")})
	waitExecutors(t, ep, 2)

	up, err := runTask(t, ep, testSpec{Batch: 1000, Input: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if up.Executor != "1" || up.Addr != shuffleAddr(t, ep, "1") || up.Key == "" {
		t.Fatalf("map output %+v: want it on executor 1 (the lowest id of two idle ones)", up)
	}
	<-f.started
	if got := readBucket(t, ep, up, 1); got != "in:a/1" {
		t.Errorf("the driver read %q", got)
	}

	// Executor 1's only core is busy: the next task runs on executor 2 and
	// reads executor 1's output over a shuffle connection.
	blocked := goRunTask(t, ep, testSpec{Block: true, Input: "b"})
	if id := started(t, f); id != "1" {
		t.Fatalf("the blocking task started on executor %s", id)
	}
	down, err := runTask(t, ep, testSpec{Batch: 1000, Upstream: &up})
	if err != nil {
		t.Fatal(err)
	}
	if id := <-f.started; id != "2" || down.Executor != "2" {
		t.Fatalf("the downstream task ran on %s (output %+v), want executor 2", id, down)
	}
	if got := readBucket(t, ep, down, 0); got != "in:a/1!" {
		t.Errorf("executor 2 read %q from executor 1", got)
	}
	f.release <- struct{}{}
	if r := <-blocked; r.err != nil {
		t.Fatal(r.err)
	}

	local, err := runTask(t, ep, testSpec{Batch: 1000, Upstream: &up})
	if err != nil || local.Executor != "1" {
		t.Fatalf("%+v %v: want the task on executor 1", local, err)
	}
	<-f.started
	if got := readBucket(t, ep, local, 0); got != "in:a/1!" {
		t.Errorf("executor 1 read %q from its own store", got)
	}
}

// ForgetShuffles drops the outputs of earlier batches; a later read of one
// is a clear error, not a lost executor.
func TestForgetShufflesDropsOldOutputs(t *testing.T) {
	ep := newEndpoint(t)
	f := newFakeTasks()
	startExecutorWith(t, ep, ExecutorConfig{ID: "1", Cores: 2, Tasks: f.on("1")})
	old, err := runTask(t, ep, testSpec{Batch: 1000, Input: "old"})
	if err != nil {
		t.Fatal(err)
	}
	kept, err := runTask(t, ep, testSpec{Batch: 2000, Input: "new"})
	if err != nil {
		t.Fatal(err)
	}
	ep.ForgetShuffles(t.Context(), 1500)
	_, err = ep.ReadBucket(t.Context(), old, 0)
	if err == nil || !strings.Contains(err.Error(), "not held by executor 1: it was dropped or the executor restarted") || errors.Is(err, task.ErrExecutorLost) {
		t.Fatalf("reading a forgotten output: %v", err)
	}
	if got := readBucket(t, ep, kept, 0); got != "in:new/0" {
		t.Errorf("kept output: %q", got)
	}
	if _, err := ep.ReadBucket(t.Context(), kept, 2); err == nil || !strings.Contains(err.Error(), "not partition 2") {
		t.Errorf("reading a partition the output does not have: %v", err)
	}
}

// Cores counts the executors that run tasks; a task waits for an executor
// with a free core: two tasks on a one-core executor run one after the
// other.
func TestMapTasksWaitForAFreeCore(t *testing.T) {
	ep := newEndpoint(t)
	f := newFakeTasks()
	first := goRunTask(t, ep, testSpec{Block: true, Input: "x"})
	startExecutorWith(t, ep, ExecutorConfig{ID: "0", Cores: 4}) // no tasks
	waitExecutors(t, ep, 1)
	if n := ep.Cores(); n != 0 {
		t.Fatalf("Cores() = %d with an executor that runs no tasks", n)
	}
	startExecutorWith(t, ep, ExecutorConfig{ID: "1", Cores: 1, Tasks: f.on("1")})
	waitExecutors(t, ep, 2)
	if n := ep.Cores(); n != 1 {
		t.Fatalf("Cores() = %d, want 1", n)
	}
	started(t, f) // the task that waited for an executor
	second := goRunTask(t, ep, testSpec{Block: true, Input: "y"})
	select {
	case <-f.started:
		t.Fatal("a second task started on the busy core")
	case <-time.After(50 * time.Millisecond):
	}
	f.release <- struct{}{}
	if r := <-first; r.err != nil {
		t.Fatal(r.err)
	}
	started(t, f)
	f.release <- struct{}{}
	if r := <-second; r.err != nil {
		t.Fatal(r.err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.most != 1 {
		t.Errorf("%d tasks ran at once on one core", f.most)
	}
}

// The task's error comes back as the task's; an executor that goes away
// while a task runs is a lost executor, and so are reads of its outputs.
func TestMapTaskFailures(t *testing.T) {
	ep := newEndpoint(t)
	f := newFakeTasks()
	stop, exited := startExecutorWith(t, ep, ExecutorConfig{ID: "1", Cores: 1, Tasks: f.on("1")})
	_, err := runTask(t, ep, testSpec{Fail: "no such word"})
	if err == nil || !strings.Contains(err.Error(), "executor 1") || !strings.Contains(err.Error(), "no such word") || errors.Is(err, task.ErrExecutorLost) {
		t.Fatalf("failing task: %v", err)
	}
	out, err := runTask(t, ep, testSpec{Input: "z"})
	if err != nil {
		t.Fatal(err)
	}
	blocked := goRunTask(t, ep, testSpec{Block: true})
	started(t, f)
	started(t, f)
	started(t, f)
	stop()
	<-exited
	if r := <-blocked; !errors.Is(r.err, task.ErrExecutorLost) {
		t.Fatalf("the task of a lost executor ended with %v, want task.ErrExecutorLost", r.err)
	}
	if _, err := ep.ReadBucket(t.Context(), out, 0); !errors.Is(err, task.ErrExecutorLost) {
		t.Fatalf("reading an output of a lost executor: %v, want task.ErrExecutorLost", err)
	}
}

// An executor started without tasks refuses them clearly.
func TestExecutorWithoutTasksRefusesThem(t *testing.T) {
	x := &executorTasks{id: "5"}
	_, err := x.run(message{Op: opRunTask, Run: 1})
	if err == nil || !strings.Contains(err.Error(), "executor 5 cannot run map tasks") {
		t.Fatalf("err = %v", err)
	}
}

// A task the driver stops waiting for (its batch was cancelled) is
// cancelled on the executor too, freeing the core there.
func TestCancelledTaskStopsOnTheExecutor(t *testing.T) {
	ep := newEndpoint(t)
	f := newFakeTasks()
	startExecutorWith(t, ep, ExecutorConfig{ID: "1", Cores: 1, Tasks: f.on("1")})
	waitExecutors(t, ep, 1)
	spec, err := json.Marshal(testSpec{Block: true, Input: "c"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	res := make(chan error, 1)
	go func() {
		_, err := ep.RunTask(ctx, cluster.Task{Name: "3@1000/0", Spec: spec}, echoInputs{})
		res <- err
	}()
	started(t, f)
	cancel()
	if err := <-res; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled task: %v, want context.Canceled", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		f.mu.Lock()
		running := f.running
		f.mu.Unlock()
		if running == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the executor still runs the cancelled task")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestTaskFailureKindsCrossTheWire: the driver tells a task's own error
// from a protocol error and a fetch failure on the executor, as the engine's
// retry policy needs.
func TestTaskFailureKindsCrossTheWire(t *testing.T) {
	ep := newEndpoint(t)
	startExecutorWith(t, ep, ExecutorConfig{ID: "1", Cores: 1, Tasks: newFakeTasks().on("1")})
	for _, tc := range []struct {
		as   string
		want task.Kind
	}{{"", task.Own}, {"protocol", task.Protocol}, {"fetch", task.FetchFailed}} {
		_, err := runTask(t, ep, testSpec{Fail: "it broke", FailAs: tc.as})
		if task.KindOf(err) != tc.want || !strings.Contains(err.Error(), "it broke") {
			t.Errorf("failing as %q: err %v of kind %v, want %v", tc.as, err, task.KindOf(err), tc.want)
		}
		if fe, ok := errors.AsType[*task.FetchFailedError](err); ok && (fe.Stage != "2@1000/0" || fe.Map != 3 || fe.Executor != "9") {
			t.Errorf("fetch failure %+v: the map output it names was lost on the way", fe)
		}
	}
	// A map output the executor no longer holds is a lost output: the
	// reader computes it again.
	out, err := runTask(t, ep, testSpec{Batch: 1000, Input: "x"})
	if err != nil {
		t.Fatal(err)
	}
	out.Key = "nonesuch"
	if _, err := ep.ReadBucket(t.Context(), out, 0); !errors.Is(err, task.ErrOutputMissing) {
		t.Errorf("read of a dropped output: %v, want task.ErrOutputMissing", err)
	}
}

// freezer relays executors' connections to the driver; while frozen it
// passes nothing either way, as if the executor's process were stopped.
type freezer struct {
	ln     net.Listener
	gate   sync.RWMutex // held while frozen
	mu     sync.Mutex
	frozen bool
	conns  []net.Conn
}

func newFreezer(t *testing.T, to string) *freezer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			d, err := net.Dial("tcp", to)
			if err != nil {
				c.Close()
				continue
			}
			f.mu.Lock()
			f.conns = append(f.conns, c, d)
			f.mu.Unlock()
			go f.relay(d, c)
			go f.relay(c, d)
		}
	}()
	t.Cleanup(func() {
		f.thaw()
		ln.Close()
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, c := range f.conns {
			c.Close()
		}
	})
	return f
}

func (f *freezer) relay(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		f.gate.RLock()
		_, werr := dst.Write(buf[:n])
		f.gate.RUnlock()
		if err != nil || werr != nil {
			dst.Close()
			return
		}
	}
}

func (f *freezer) freeze() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.frozen {
		f.gate.Lock()
		f.frozen = true
	}
}

func (f *freezer) thaw() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.frozen {
		f.gate.Unlock()
		f.frozen = false
	}
}

// An executor that stops answering fails the forget_shuffles of every batch
// completed meanwhile: that is one warning, not one per batch; a forget that
// reaches it again ends the episode, and the next one is warned about anew.
func TestForgetShufflesWarnsOncePerExecutorThatStopsAnswering(t *testing.T) {
	rec, log := logtest.New()
	ep, err := Listen(EndpointOptions{Addr: "127.0.0.1:0", Secret: "s", Timeout: 2 * time.Second, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ep.Close() })
	f, quiet := newFakeTasks(), slog.New(slog.DiscardHandler)
	startExecutorWith(t, ep, ExecutorConfig{ID: "1", Cores: 1, Tasks: f.on("1"), Logger: quiet})
	fr := newFreezer(t, ep.addr())
	startExecutorWith(t, ep, ExecutorConfig{ID: "2", Cores: 1, Tasks: f.on("2"), Logger: quiet, DriverAddress: fr.ln.Addr().String()})
	waitExecutors(t, ep, 2)

	count := func(level slog.Level, msg, executor string) int {
		n := 0
		for _, r := range rec.Records() {
			if r.Level == level && strings.Contains(r.Message, msg) && r.Attrs["executor"] == executor {
				n++
			}
		}
		return n
	}
	// batches calls ForgetShuffles as that many completed batches do, each
	// within timeout.
	batches := func(n int, timeout time.Duration) {
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(t.Context(), timeout)
				defer cancel()
				ep.ForgetShuffles(ctx, int64(1000*(i+1)))
			})
		}
		wg.Wait()
	}
	const failed = "did not drop old map outputs"

	batches(1, time.Second)
	fr.freeze()
	batches(10, 300*time.Millisecond) // executor 2 frozen for less than the timeout
	if n := count(slog.LevelWarn, failed, "2"); n != 1 {
		t.Fatalf("%d warnings for executor 2's failed forgets while it was frozen, want 1", n)
	}
	fr.thaw()
	batches(1, time.Second)
	if n := count(slog.LevelInfo, "drops old map outputs again", "2"); n != 1 {
		t.Fatalf("%d lines saying executor 2 answers again, want 1", n)
	}
	fr.freeze() // for good: executor 2 is lost after the timeout
	batches(10, 5*time.Second)
	if n := count(slog.LevelWarn, failed, "2"); n != 2 {
		t.Errorf("%d warnings for executor 2 after two episodes, want 2", n)
	}
	if n := count(slog.LevelWarn, failed, "1"); n != 0 {
		t.Errorf("%d warnings for executor 1, which always answered", n)
	}
	for deadline := time.Now().Add(5 * time.Second); len(ep.Executors()) != 1; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("executors %+v: executor 2 was not declared lost", ep.Executors())
		}
	}
	batches(1, time.Second)
	if n := count(slog.LevelWarn, failed, "2"); n != 2 {
		t.Errorf("%d warnings for executor 2 once lost, want 2", n)
	}
}
