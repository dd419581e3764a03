package am

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gostream/gostream/client"
	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/internal/hadoop/token"
	"github.com/gostream/gostream/internal/hadoop/yarnpb"
	"github.com/gostream/gostream/internal/procenv"
	"github.com/gostream/gostream/internal/yarn"
)

var app = yarn.ApplicationID{ClusterTimestamp: 1700000000000, ID: 7}

func cid(attempt int32, n int64) yarn.ContainerID {
	return yarn.ContainerID{Attempt: yarn.AttemptID{App: app, Attempt: attempt}, ID: n}
}

// fakeRM is a scheduler that allocates whatever is asked on the next call.
type fakeRM struct {
	mu          sync.Mutex
	outstanding int
	next        int64
	completed   []*yarnpb.ContainerStatusProto
	asks        []int32
	released    int
	finished    []yarn.FinalStatus
	diags       []string
	tokenSet    bool
	rollToken   bool
	trackingURL string
}

func (f *fakeRM) Register(_ context.Context, _ string, _ int32, trackingURL string) (*yarnpb.RegisterApplicationMasterResponseProto, error) {
	f.mu.Lock()
	f.trackingURL = trackingURL
	f.mu.Unlock()
	return &yarnpb.RegisterApplicationMasterResponseProto{MaximumCapability: yarn.Resource{MemoryMB: 8192, VCores: 8}.Proto()}, nil
}

func (f *fakeRM) Allocate(_ context.Context, req *yarnpb.AllocateRequestProto) (*yarnpb.AllocateResponseProto, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	resp := &yarnpb.AllocateResponseProto{ResponseId: proto.Int32(req.GetResponseId() + 1)}
	for _, a := range req.GetAsk() {
		f.asks = append(f.asks, a.GetNumContainers())
		f.outstanding = int(a.GetNumContainers())
	}
	f.released += len(req.GetRelease())
	for ; f.outstanding > 0; f.outstanding-- {
		f.next++
		node := &yarnpb.NodeIdProto{Host: proto.String("localhost"), Port: proto.Int32(18041)}
		resp.AllocatedContainers = append(resp.AllocatedContainers, &yarnpb.ContainerProto{Id: cid(1, f.next+1).Proto(), NodeId: node})
		resp.NmTokens = append(resp.NmTokens, &yarnpb.NMTokenProto{NodeId: node, Token: (&token.Token{Identifier: []byte("nm")}).Proto()})
	}
	resp.CompletedContainerStatuses, f.completed = f.completed, nil
	if f.rollToken {
		resp.AmRmToken, f.rollToken = (&token.Token{Identifier: []byte("new")}).Proto(), false
	}
	return resp, nil
}

func (f *fakeRM) Finish(_ context.Context, s yarn.FinalStatus, diag, _ string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.finished = append(f.finished, s)
	f.diags = append(f.diags, diag)
	return nil
}
func (f *fakeRM) SetToken(token.Token) { f.mu.Lock(); f.tokenSet = true; f.mu.Unlock() }
func (f *fakeRM) Close() error         { return nil }

func (f *fakeRM) complete(id yarn.ContainerID, exit int32) { f.completeWith(id, exit, "") }

// completeWith reports container id completed with the NodeManager's
// diagnostics diag.
func (f *fakeRM) completeWith(id yarn.ContainerID, exit int32, diag string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.completed = append(f.completed, &yarnpb.ContainerStatusProto{ContainerId: id.Proto(), ExitStatus: proto.Int32(exit),
		State: yarnpb.ContainerStateProto_C_COMPLETE.Enum(), Diagnostics: proto.String(diag)})
}

type fakeLauncher struct {
	mu       sync.Mutex
	launched []string
	stopped  []yarn.ContainerID
	fail     bool
	ended    map[yarn.ContainerID]yarn.ContainerStatus // what Status says of ended containers
}

func (l *fakeLauncher) UpdateTokens([]*yarnpb.NMTokenProto) {}
func (l *fakeLauncher) Launch(_ context.Context, c *yarnpb.ContainerProto, id string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail {
		return errors.New("NM down")
	}
	l.launched = append(l.launched, id)
	return nil
}
func (l *fakeLauncher) Stop(_ context.Context, id yarn.ContainerID, _ string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stopped = append(l.stopped, id)
	return nil
}
func (l *fakeLauncher) Status(_ context.Context, id yarn.ContainerID, _ string) (yarn.ContainerStatus, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s, ok := l.ended[id]; ok {
		return s, nil
	}
	return yarn.ContainerStatus{ID: id, State: "RUNNING", ExitStatus: exitInvalid}, nil
}
func (l *fakeLauncher) Close() error { return nil }

func newTestAllocator(rm *fakeRM, l *fakeLauncher, target, maxFailures int, validity time.Duration, now func() time.Time) *allocator {
	return &allocator{sched: rm, launcher: l, log: slog.New(slog.DiscardHandler), now: now, target: target,
		resource: yarn.Resource{MemoryMB: 1408, VCores: 1}, maxFailures: maxFailures, failures: failureTracker{validity: validity},
		heartbeat: 50 * time.Millisecond, initial: 5 * time.Millisecond, callTimeout: time.Second,
		released: map[yarn.ContainerID]bool{}, nodeEnded: map[yarn.ContainerID]yarn.ContainerStatus{}, running: map[yarn.ContainerID]*Executor{}, wake: make(chan struct{}, 1),
		lostExecs: map[yarn.ContainerID]*Executor{}, toStop: map[yarn.ContainerID]string{}}
}

// containerOf is the container running executor id.
func (a *allocator) containerOf(t *testing.T, id string) yarn.ContainerID {
	t.Helper()
	for c, e := range a.running {
		if e.ID == id {
			return c
		}
	}
	t.Fatalf("executor %s is not running", id)
	return yarn.ContainerID{}
}

// TestAllocatorReplacesALostExecutor: an executor the driver declares lost
// (frozen, partitioned) has its container stopped and released and a
// replacement asked for at once; its failure is counted once, when the RM
// reports the container completed, even if it reports it twice; a loss
// declared after the RM reported the container is not counted again, and
// a lost executor's container that YARN preempted is not a failure.
func TestAllocatorReplacesALostExecutor(t *testing.T) {
	rm, l := &fakeRM{}, &fakeLauncher{}
	a := newTestAllocator(rm, l, 2, 10, 0, time.Now)
	ctx := t.Context()
	if _, err := a.allocateOnce(ctx); err != nil {
		t.Fatal(err)
	}
	frozen := a.containerOf(t, "2")
	a.lost("2", errors.New("silent for 10s"))
	a.lost("2", errors.New("again"))  // declared twice: one loss
	a.lost("99", errors.New("never")) // not an executor of ours
	select {
	case <-a.wake:
	default:
		t.Fatal("a loss did not wake the allocate loop")
	}
	if len(a.running) != 1 {
		t.Fatalf("%d running after the loss, want 1", len(a.running))
	}
	if _, err := a.allocateOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if rm.released != 1 || len(l.stopped) != 1 || l.stopped[0] != frozen {
		t.Fatalf("released %d, stopped %v: want %s released and stopped once", rm.released, l.stopped, frozen)
	}
	if rm.asks[len(rm.asks)-1] != 1 || len(a.running) != 2 || l.launched[len(l.launched)-1] != "3" {
		t.Fatalf("not replaced: asks %v running %d launched %v", rm.asks, len(a.running), l.launched)
	}
	if a.failed != 0 {
		t.Fatalf("%d failures before the RM reported the container", a.failed)
	}
	rm.complete(frozen, exitKilledByAppMaster)
	rm.complete(frozen, exitAborted) // released too: must not count twice
	if _, err := a.allocateOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if a.failed != 1 || a.failures.count(time.Now()) != 1 {
		t.Fatalf("%d failures (%d counting), want 1", a.failed, a.failures.count(time.Now()))
	}

	// The RM reports a crash first, the driver notices after: one failure.
	crashed := a.containerOf(t, "1")
	rm.complete(crashed, 1)
	if _, err := a.allocateOnce(ctx); err != nil {
		t.Fatal(err)
	}
	a.lost("1", errors.New("connection closed"))
	if _, err := a.allocateOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if a.failed != 2 || len(l.stopped) != 1 {
		t.Fatalf("%d failures, stopped %v: want 2 and the crashed container not stopped", a.failed, l.stopped)
	}

	// Preempted before or after the driver noticed: not a failure.
	preempted := a.containerOf(t, "3")
	a.lost("3", errors.New("connection closed"))
	rm.complete(preempted, exitPreempted)
	for range 2 {
		if _, err := a.allocateOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if a.failed != 2 || len(a.running) != 2 {
		t.Fatalf("%d failures, %d running after a preemption", a.failed, len(a.running))
	}
}

func TestAllocatorLaunchesReplacesAndCountsFailures(t *testing.T) {
	rm, l := &fakeRM{rollToken: true}, &fakeLauncher{}
	now := time.Unix(1000, 0)
	a := newTestAllocator(rm, l, 2, 3, 0, func() time.Time { return now })
	ctx := t.Context()
	if pending, err := a.allocateOnce(ctx); err != nil || pending {
		t.Fatalf("first allocate: pending %v err %v", pending, err)
	}
	if len(a.running) != 2 || len(l.launched) != 2 || !rm.tokenSet {
		t.Fatalf("running %d launched %v tokenSet %v", len(a.running), l.launched, rm.tokenSet)
	}
	// Nothing changes: no new ask is sent.
	if _, err := a.allocateOnce(ctx); err != nil || len(rm.asks) != 1 {
		t.Fatalf("asks %v err %v", rm.asks, err)
	}
	// An executor fails: it is replaced, with a new id.
	rm.complete(cid(1, 2), 137)
	if _, err := a.allocateOnce(ctx); err != nil { // sees the completion, asks for 1
		t.Fatal(err)
	}
	if _, err := a.allocateOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if len(a.running) != 2 || l.launched[len(l.launched)-1] != "3" {
		t.Fatalf("not replaced: running %d launched %v asks %v", len(a.running), l.launched, rm.asks)
	}
	// Preemption is not a failure; two more failures reach the limit of 3.
	var ids []yarn.ContainerID
	for id := range a.running {
		ids = append(ids, id)
	}
	rm.complete(ids[0], exitPreempted)
	rm.complete(ids[1], 1)
	if _, err := a.allocateOnce(ctx); err != nil {
		t.Fatalf("2 failures of 3: %v", err)
	}
	for id := range a.running {
		rm.complete(id, 1)
	}
	_, _ = a.allocateOnce(ctx) // launches replacements
	for id := range a.running {
		rm.complete(id, 1)
		break
	}
	_, err := a.allocateOnce(ctx)
	if !errors.Is(err, ErrTooManyExecutorFailures) {
		t.Fatalf("got %v, want ErrTooManyExecutorFailures (failures %d)", err, a.failed)
	}
}

// TestAllocatorSaysWhyExecutorsEnded: an executor killed by YARN for its
// memory is shown with that reason, and when executor failures end the
// application, its diagnostics name each failure's reason and what to raise.
func TestAllocatorSaysWhyExecutorsEnded(t *testing.T) {
	rm, l := &fakeRM{}, &fakeLauncher{}
	a := newTestAllocator(rm, l, 2, 2, time.Minute, time.Now)
	ctx := t.Context()
	if _, err := a.allocateOnce(ctx); err != nil {
		t.Fatal(err)
	}
	killed, preempted := a.containerOf(t, "1"), a.containerOf(t, "2")
	rm.completeWith(killed, exitKilledExceededPMem, pmemDiag3)
	rm.completeWith(preempted, exitPreempted, "Container preempted by scheduler")
	if _, err := a.allocateOnce(ctx); err != nil {
		t.Fatalf("one failure of 2: %v", err)
	}
	_, ended, failed := a.snapshot()
	if failed != 1 || len(ended) != 2 {
		t.Fatalf("%d failures, ended %+v", failed, ended)
	}
	if e := ended[0]; e.ID != "1" || e.Container != killed.String() || e.ExitStatus != exitKilledExceededPMem || !e.Failure ||
		!strings.Contains(e.Reason, "physical memory (1.1 GB of 1 GB used)") || e.Ended.IsZero() {
		t.Errorf("memory kill shown as %+v", e)
	}
	if e := ended[1]; e.ID != "2" || e.Failure || !strings.Contains(e.Reason, "preempted") {
		t.Errorf("preemption shown as %+v", e)
	}

	if _, err := a.allocateOnce(ctx); err != nil { // replaces both
		t.Fatal(err)
	}
	rm.completeWith(a.containerOf(t, "3"), 1, "Exception from container-launch")
	_, err := a.allocateOnce(ctx)
	if !errors.Is(err, ErrTooManyExecutorFailures) {
		t.Fatalf("got %v, want ErrTooManyExecutorFailures", err)
	}
	for _, want := range []string{"2 executor failures within 1m0s reached gostream.executor.maxNumFailures=2",
		killed.String() + " (executor 1) killed by YARN for exceeding its physical memory (1.1 GB of 1 GB used): raise --executor-memory",
		"(executor 3) exited with code 1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("diagnostics %q lack %q", err, want)
		}
	}
}

// TestAllocatorAsksTheNodeHowALostExecutorEnded: an executor killed for
// memory is declared lost (its connection dropped) and released before the
// RM hears of the kill, so the RM reports it released (-100); the reason is
// the one its NodeManager gave when asked before the release. A frozen
// executor's container (still running on its node) keeps the RM's word.
func TestAllocatorAsksTheNodeHowALostExecutorEnded(t *testing.T) {
	rm, l := &fakeRM{}, &fakeLauncher{ended: map[yarn.ContainerID]yarn.ContainerStatus{}}
	a := newTestAllocator(rm, l, 2, 10, 0, time.Now)
	ctx := t.Context()
	if _, err := a.allocateOnce(ctx); err != nil {
		t.Fatal(err)
	}
	killed, frozen := a.containerOf(t, "1"), a.containerOf(t, "2")
	l.ended[killed] = yarn.ContainerStatus{ID: killed, State: "RUNNING", ExitStatus: exitKilledExceededPMem, Diagnostics: pmemDiag3}
	a.lost("1", errors.New("connection closed"))
	a.lost("2", errors.New("silent for 10s"))
	if _, err := a.allocateOnce(ctx); err != nil {
		t.Fatal(err)
	}
	rm.completeWith(killed, exitAborted, "Container released by application")
	rm.completeWith(frozen, exitAborted, "Container released by application")
	if _, err := a.allocateOnce(ctx); err != nil {
		t.Fatal(err)
	}
	_, ended, _ := a.snapshot()
	if len(ended) != 2 || ended[0].ExitStatus != exitKilledExceededPMem || !strings.Contains(ended[0].Reason, "physical memory (1.1 GB of 1 GB used)") ||
		ended[1].ExitStatus != exitAborted {
		t.Fatalf("ended %+v: want executor 1 killed for memory, executor 2 released", ended)
	}
	if len(a.nodeEnded) != 0 {
		t.Errorf("node statuses kept after the RM reported the containers: %v", a.nodeEnded)
	}
}

func TestAllocatorForgetsOldFailures(t *testing.T) {
	rm, l := &fakeRM{}, &fakeLauncher{}
	now := time.Unix(1000, 0)
	a := newTestAllocator(rm, l, 1, 2, 10*time.Second, func() time.Time { return now })
	ctx := t.Context()
	if _, err := a.allocateOnce(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		for id := range a.running {
			rm.complete(id, 1)
		}
		for range 2 { // sees the completion, then replaces the executor
			if _, err := a.allocateOnce(ctx); err != nil {
				t.Fatalf("failure %d with the earlier ones expired: %v", i+1, err)
			}
		}
		now = now.Add(11 * time.Second)
	}
	if a.failed != 4 {
		t.Fatalf("%d failures recorded", a.failed)
	}
}

func TestAllocatorReleasesExtraContainersAndLaunchFailures(t *testing.T) {
	rm, l := &fakeRM{}, &fakeLauncher{fail: true}
	a := newTestAllocator(rm, l, 1, 10, 0, time.Now)
	if _, err := a.allocateOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	if len(a.running) != 0 || len(a.released) != 1 || a.failed != 1 {
		t.Fatalf("running %d released %d failed %d", len(a.running), len(a.released), a.failed)
	}
	if _, err := a.allocateOnce(t.Context()); err != nil || rm.released != 1 {
		t.Fatalf("released %d err %v", rm.released, err)
	}
}

func TestDecide(t *testing.T) {
	boom := errors.New("boom")
	cases := []struct {
		name          string
		driver, alloc error
		signaled      bool
		attempt, max  int
		unregister    bool
		status        yarn.FinalStatus
		code          int
	}{
		{"graceful stop", nil, nil, false, 1, 2, true, yarn.FinalSucceeded, 0},
		{"failure, not last", boom, nil, false, 1, 2, false, 0, 1},
		{"failure, last", boom, nil, false, 2, 2, true, yarn.FinalFailed, 1},
		{"failure beyond max", boom, nil, false, 3, 2, true, yarn.FinalFailed, 1},
		{"graph changed", &engine.GraphChangedError{Dir: "d"}, nil, false, 1, 3, true, yarn.FinalFailed, 1},
		{"executor failures", nil, fmt.Errorf("x: %w", ErrTooManyExecutorFailures), false, 1, 3, true, yarn.FinalFailed, 1},
		{"RM lost us", nil, ErrRMShutdown, false, 1, 3, false, 0, 1},
		{"signal", nil, nil, true, 2, 2, false, 0, 143},
		{"graceful stop incomplete", &engine.StopIncompleteError{Batches: 2, Records: 10, WAL: true}, nil, false, 1, 3, true, yarn.FinalFailed, 1},
		{"graceful stop incomplete on SIGTERM", &engine.StopIncompleteError{Batches: 2, Records: 10}, nil, true, 1, 3, false, 0, 143},
	}
	for _, c := range cases {
		isLast := func() (bool, string) { return c.attempt >= c.max, "last attempt" }
		o := decide(c.driver, c.alloc, c.signaled, c.attempt, c.max, isLast)
		if o.unregister != c.unregister || o.status != c.status || o.code != c.code {
			t.Errorf("%s: %+v", c.name, o)
		}
		if c.status == yarn.FinalFailed && !strings.Contains(o.diag, fmt.Sprintf("attempt %d of %d", c.attempt, c.max)) {
			t.Errorf("%s: diagnostics %q do not name the attempt", c.name, o.diag)
		}
	}
}

// With a validity interval, an attempt at the maximum is the last only if
// the RM counts enough failed attempts within the interval.
func TestRunLastAttemptWithValidityInterval(t *testing.T) {
	fail := func(context.Context, *conf.Conf, engine.Listener, Executors, ...engine.Option) error {
		return errors.New("batch failed")
	}
	env := amEnv(2)
	env["GOSTREAM_YARN_AM_ATTEMPTFAILURESVALIDITYINTERVAL"] = "1m"
	attempt1Ended := func(ago time.Duration, err error) func(*Config) {
		return func(c *Config) {
			c.Attempts = func(_ context.Context, app yarn.ApplicationID) ([]client.AttemptReport, error) {
				return []client.AttemptReport{
					{ID: yarn.AttemptID{App: app, Attempt: 1}, Failed: true, FinishTime: time.Now().Add(-ago)},
					{ID: yarn.AttemptID{App: app, Attempt: 2}},
				}, err
			}
		}
	}
	var ee *ExitError
	rm, removed, err := runAMWith(t, &fakeRM{}, env, fail, make(chan os.Signal), attempt1Ended(2*time.Minute, nil))
	if !errors.As(err, &ee) || ee.Unregistered || len(rm.finished) != 0 || len(removed) != 0 {
		t.Fatalf("attempt 1 failed long ago: %v finished %v removed %v, want a next attempt", err, rm.finished, removed)
	}
	rm, removed, err = runAMWith(t, &fakeRM{}, env, fail, make(chan os.Signal), attempt1Ended(10*time.Second, nil))
	if !errors.As(err, &ee) || !ee.Unregistered || len(rm.finished) != 1 || rm.finished[0] != yarn.FinalFailed || len(removed) != 1 {
		t.Fatalf("attempt 1 failed recently: %v finished %v removed %v, want FAILED", err, rm.finished, removed)
	}
	if !strings.Contains(rm.diags[0], "2 attempts failed within the validity interval of 1m0s") {
		t.Errorf("diagnostics %q", rm.diags[0])
	}
	rm, _, err = runAMWith(t, &fakeRM{}, env, fail, make(chan os.Signal), attempt1Ended(0, errors.New("RM unreachable")))
	if !errors.As(err, &ee) || ee.Unregistered || len(rm.finished) != 0 {
		t.Fatalf("the RM cannot tell: %v finished %v, want YARN to decide", err, rm.finished)
	}
}

func amEnv(attempt int32) map[string]string {
	return map[string]string{
		"CONTAINER_ID": cid(attempt, 1).String(), "NM_HOST": "localhost", "NM_PORT": "18041", "MAX_APP_ATTEMPTS": "2",
		procenv.App: "app", procenv.Resources: base64.StdEncoding.EncodeToString([]byte(`{"app":{"URL":"hdfs://nn:8020/s/app","Size":10,"Timestamp":1}}`)),
		procenv.StagingDir:            "hdfs://nn:8020/user/u/.gostreamStaging/" + app.String(),
		"GOSTREAM_EXECUTOR_INSTANCES": "2",
	}
}

func runAM(t *testing.T, env map[string]string, driver DriverFunc, sigs chan os.Signal) (*fakeRM, []string, error) {
	return runAMWith(t, &fakeRM{}, env, driver, sigs)
}

func runAMWith(t *testing.T, rm *fakeRM, env map[string]string, driver DriverFunc, sigs chan os.Signal, opts ...func(*Config)) (*fakeRM, []string, error) {
	var environ []string
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	var removed []string
	cfg := Config{
		Driver: driver, Args: []string{}, Getenv: func(k string) string { return env[k] }, Environ: environ,
		Logger: slog.New(slog.DiscardHandler), Signals: sigs, Scheduler: rm, Launcher: &fakeLauncher{},
		RemoveStaging: func(_ context.Context, dir string) error { removed = append(removed, dir); return nil },
	}
	for _, o := range opts {
		o(&cfg)
	}
	err := Run(t.Context(), cfg)
	return rm, removed, err
}

func TestRunSucceeds(t *testing.T) {
	var got *conf.Conf
	rm, removed, err := runAM(t, amEnv(1), func(ctx context.Context, c *conf.Conf, l engine.Listener, _ Executors, _ ...engine.Option) error {
		got = c
		time.Sleep(50 * time.Millisecond)
		return nil
	}, make(chan os.Signal))
	if err != nil {
		t.Fatal(err)
	}
	if len(rm.finished) != 1 || rm.finished[0] != yarn.FinalSucceeded || len(removed) != 1 {
		t.Fatalf("finished %v removed %v", rm.finished, removed)
	}
	if m := got.Master(); m.YARN || m.LocalSlots != 1 {
		t.Fatalf("driver master %v, want local[1]", m)
	}
}

func TestRunFailureRetriesUntilTheLastAttempt(t *testing.T) {
	fail := func(context.Context, *conf.Conf, engine.Listener, Executors, ...engine.Option) error {
		return errors.New("batch failed")
	}
	rm, removed, err := runAM(t, amEnv(1), fail, make(chan os.Signal))
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Unregistered || ee.Code == 0 || len(rm.finished) != 0 || len(removed) != 0 {
		t.Fatalf("attempt 1: %v finished %v removed %v", err, rm.finished, removed)
	}
	rm, removed, err = runAM(t, amEnv(2), fail, make(chan os.Signal))
	if !errors.As(err, &ee) || !ee.Unregistered || len(rm.finished) != 1 || rm.finished[0] != yarn.FinalFailed || len(removed) != 1 {
		t.Fatalf("attempt 2: %v finished %v removed %v", err, rm.finished, removed)
	}
	if !strings.Contains(rm.diags[0], "attempt 2 of 2") || !strings.Contains(rm.diags[0], "batch failed") {
		t.Fatalf("diagnostics %q", rm.diags[0])
	}
}

func TestRunSignalDoesNotUnregister(t *testing.T) {
	sigs := make(chan os.Signal, 1)
	sigs <- os.Interrupt
	rm, removed, err := runAM(t, amEnv(2), func(ctx context.Context, _ *conf.Conf, _ engine.Listener, _ Executors, _ ...engine.Option) error {
		time.Sleep(20 * time.Millisecond) // the engine stops on the signal by itself
		return nil
	}, sigs)
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != 143 || len(rm.finished) != 0 || len(removed) != 0 {
		t.Fatalf("%v finished %v removed %v", err, rm.finished, removed)
	}
}

func TestReadEnv(t *testing.T) {
	if _, err := ReadEnv(func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "CONTAINER_ID") {
		t.Fatalf("empty environment: %v", err)
	}
	env := amEnv(3)
	e, err := ReadEnv(func(k string) string { return env[k] })
	if err != nil || e.Attempt != 3 || e.MaxAppAttempts != 2 || e.Resources["app"].Size != 10 {
		t.Fatalf("%+v %v", e, err)
	}
}

func TestContainerMemory(t *testing.T) {
	for _, c := range []struct{ mem, over, want int64 }{
		{1 << 30, 0, 1024 + 384}, {8 << 30, 0, 8192 + 819}, {512 << 20, 100 << 20, 612},
	} {
		if got := ContainerMemoryMB(c.mem, c.over); got != c.want {
			t.Errorf("ContainerMemoryMB(%d, %d) = %d, want %d", c.mem, c.over, got, c.want)
		}
	}
}

func TestRunExecutorsLargerThanTheClusterFailAtOnce(t *testing.T) {
	env := amEnv(1)
	env["GOSTREAM_EXECUTOR_CORES"] = "16" // the fake RM's largest container has 8
	ran := false
	rm, removed, err := runAM(t, env, func(context.Context, *conf.Conf, engine.Listener, Executors, ...engine.Option) error {
		ran = true
		return nil
	}, make(chan os.Signal))
	var ee *ExitError
	if !errors.As(err, &ee) || !ee.Unregistered || ee.Code != 1 || ran {
		t.Fatalf("%v (driver ran: %v)", err, ran)
	}
	if len(rm.finished) != 1 || rm.finished[0] != yarn.FinalFailed || !strings.Contains(rm.diags[0], "largest container") || len(removed) != 1 {
		t.Fatalf("finished %v %q removed %v", rm.finished, rm.diags, removed)
	}
}

// TestStatusShowsEffectiveMaxAttempts: Hadoop 3's RM does not set
// MAX_APP_ATTEMPTS, so the AM caps the request itself at the site files'
// yarn.resourcemanager.am.max-attempts, as the RM does; the status page
// shows that number, and the request beside it.
func TestStatusShowsEffectiveMaxAttempts(t *testing.T) {
	dir := t.TempDir()
	site := `<configuration><property><name>yarn.resourcemanager.am.max-attempts</name><value>10</value></property></configuration>`
	if err := os.WriteFile(filepath.Join(dir, "yarn-site.xml"), []byte(site), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, envMax, requested string
		want                    map[string]any
	}{
		{"capped by the site files", "", "50", map[string]any{"max_attempts": 10.0, "requested_max_attempts": 50.0}},
		{"the RM's number", "", "", map[string]any{"max_attempts": 10.0, "requested_max_attempts": nil}},
		{"within the cap", "", "4", map[string]any{"max_attempts": 4.0, "requested_max_attempts": 4.0}},
		{"the RM says", "3", "50", map[string]any{"max_attempts": 3.0, "requested_max_attempts": 50.0}},
	} {
		env := amEnv(1)
		env["MAX_APP_ATTEMPTS"], env["HADOOP_CONF_DIR"] = tc.envMax, dir
		if tc.requested != "" {
			env["GOSTREAM_YARN_MAXAPPATTEMPTS"] = tc.requested
		}
		got := statusJSON(t, env)
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("%s: %s is %v, want %v", tc.name, k, got[k], v)
			}
		}
	}
}

// statusJSON runs an AM whose driver reads the status page's /json.
func statusJSON(t *testing.T, env map[string]string) map[string]any {
	rm := &fakeRM{}
	var st map[string]any
	_, _, err := runAMWith(t, rm, env, func(ctx context.Context, _ *conf.Conf, _ engine.Listener, _ Executors, _ ...engine.Option) error {
		rm.mu.Lock()
		url := rm.trackingURL
		rm.mu.Unlock()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"json", nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		return json.NewDecoder(resp.Body).Decode(&st)
	}, make(chan os.Signal))
	if err != nil {
		t.Fatal(err)
	}
	return st
}
