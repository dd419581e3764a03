package container

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gostream/gostream/engine/cluster"
	"github.com/gostream/gostream/engine/task"
)

// recordingSink is the driver's side of a remote receiver in these tests.
type recordingSink struct {
	mu      sync.Mutex
	blocks  []cluster.BlockRef
	offsets []string
	reports []string
}

func (s *recordingSink) AddBlock(_ context.Context, b cluster.BlockRef) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blocks = append(s.blocks, b)
	if b.Offset != nil {
		s.offsets = append(s.offsets, *b.Offset)
	}
	return nil
}

func (s *recordingSink) ReportError(msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reports = append(s.reports, msg)
}

func (s *recordingSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.blocks)
}

// startExecutor runs an executor whose receivers are serve, until the test
// ends or stop is called; exited is closed when it has returned.
func startExecutor(t *testing.T, ep *Endpoint, id string, serve ServeReceiverFunc) (stop func(), exited <-chan struct{}) {
	t.Helper()
	return startExecutorWith(t, ep, ExecutorConfig{ID: id, ServeReceiver: serve})
}

// startExecutorWith runs an executor configured by c (its secret, heartbeat
// and timeout filled in, and its driver unless c names one) as
// startExecutor does.
func startExecutorWith(t testing.TB, ep *Endpoint, c ExecutorConfig) (stop func(), exited <-chan struct{}) {
	t.Helper()
	c.DriverAddress = cmp.Or(c.DriverAddress, ep.addr())
	c.Secret, c.Heartbeat, c.Timeout = "s", 20*time.Millisecond, 2*time.Second
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = RunExecutor(ctx, c)
	}()
	t.Cleanup(func() { cancel(); <-done })
	return cancel, done
}

func newEndpoint(t testing.TB) *Endpoint {
	t.Helper()
	ep, err := Listen(EndpointOptions{Addr: "127.0.0.1:0", Secret: "s", Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ep.Close() })
	return ep
}

// A receiver placed on an executor keeps its blocks there and reports their
// metadata with offsets, and error reports; stopping it lets it hand over
// its last block. The driver reads a block from its holder and, once told
// to forget it, the holder no longer has it.
func TestRemoteReceiverRunsOnAnExecutor(t *testing.T) {
	ep := newEndpoint(t)
	started := make(chan *string, 1)
	startExecutor(t, ep, "1", func(ctx context.Context, r cluster.ReceiverRun, out cluster.BlockKeeper) error {
		started <- r.Offset
		out.ReportError("source slow")
		for i := 0; ; i++ {
			off := fmt.Sprint(i + 1)
			// Blocks go on after the stop request: the last one is still acknowledged.
			if err := out.Keep(context.WithoutCancel(ctx), cluster.BlockRef{Records: 1, Offset: &off}, []byte(fmt.Sprintf("b%d", i))); err != nil {
				return err
			}
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(10 * time.Millisecond):
			}
		}
	})
	sink := &recordingSink{}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	prev := "41"
	go func() {
		done <- ep.RunReceiver(ctx, cluster.RemoteReceiver{Stream: 3, Name: "numbers", Offset: &prev, Sink: sink})
	}()

	if off := <-started; off == nil || *off != "41" {
		t.Fatalf("the executor got offset %v, want 41", off)
	}
	deadline := time.Now().Add(5 * time.Second)
	for sink.count() < 5 {
		if time.Now().After(deadline) {
			t.Fatal("no blocks arrived")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if p := ep.Receivers(); len(p) != 1 || p[0].Executor != "1" || p[0].Stream != 3 {
		t.Errorf("placements %+v", p)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("RunReceiver after a stop: %v", err)
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if len(sink.reports) != 1 || sink.reports[0] != "source slow" {
		t.Errorf("reports %q", sink.reports)
	}
	first := sink.blocks[0]
	if first.Executor != "1" || first.Stream != 3 || first.Addr == "" || first.Bytes != 2 || first.ID == "" {
		t.Errorf("first block's metadata %+v", first)
	}
	if data, err := ep.ReadBlock(t.Context(), first); err != nil || string(data) != "b0" {
		t.Errorf("read the first block from its holder: %q, %v", data, err)
	}
	ep.ForgetBlocks(t.Context(), []cluster.BlockRef{first})
	if _, err := ep.ReadBlock(t.Context(), first); !errors.Is(err, task.ErrOutputMissing) {
		t.Errorf("read a forgotten block: %v, want task.ErrOutputMissing", err)
	}
	if len(sink.offsets) != len(sink.blocks) || sink.offsets[len(sink.offsets)-1] != fmt.Sprint(len(sink.blocks)) {
		t.Errorf("blocks %d, offsets %v: every block, the last one too, carries its offset", len(sink.blocks), sink.offsets)
	}
	if p := ep.Receivers(); len(p) != 0 {
		t.Errorf("placements after the stop: %+v", p)
	}
}

// A receiver's error ends the run with that error; a lost executor ends it
// with task.ErrExecutorLost; a receiver waits for an executor to register.
func TestRemoteReceiverFailures(t *testing.T) {
	ep := newEndpoint(t)
	sink := &recordingSink{}
	ctx := t.Context()

	// No executor yet: RunReceiver waits.
	done := make(chan error, 1)
	go func() {
		done <- ep.RunReceiver(ctx, cluster.RemoteReceiver{Stream: 0, Name: "failing", Sink: sink})
	}()
	select {
	case err := <-done:
		t.Fatalf("RunReceiver returned %v with no executor", err)
	case <-time.After(100 * time.Millisecond):
	}
	startExecutor(t, ep, "1", func(ctx context.Context, r cluster.ReceiverRun, _ cluster.BlockKeeper) error {
		if r.Stream == 0 {
			return errors.New("source refused the connection")
		}
		<-ctx.Done()
		return nil
	})
	if err := <-done; err == nil || err.Error() != "source refused the connection" {
		t.Fatalf("RunReceiver = %v, want the receiver's error", err)
	}

	stop2, exited := startExecutor(t, ep, "2", func(ctx context.Context, _ cluster.ReceiverRun, _ cluster.BlockKeeper) error {
		<-ctx.Done()
		return nil
	})
	waitExecutors(t, ep, 2)
	go func() { done <- ep.RunReceiver(ctx, cluster.RemoteReceiver{Stream: 1, Name: "a", Sink: sink}) }()
	go func() { done <- ep.RunReceiver(ctx, cluster.RemoteReceiver{Stream: 2, Name: "b", Sink: sink}) }()
	deadline := time.Now().Add(5 * time.Second)
	for len(ep.Receivers()) < 2 {
		if time.Now().After(deadline) {
			t.Fatal("receivers not placed")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if p := ep.Receivers(); p[0].Executor == p[1].Executor {
		t.Errorf("both receivers on executor %s: want one per executor", p[0].Executor)
	}
	stop2()
	<-exited
	if err := <-done; !errors.Is(err, task.ErrExecutorLost) {
		t.Fatalf("the receiver on the stopped executor ended with %v, want task.ErrExecutorLost", err)
	}
}

func waitExecutors(t testing.TB, ep *Endpoint, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := ep.waitRegistered(ctx, n); err != nil {
		t.Fatal(err)
	}
}

func TestRemoteBlockTooLargeIsAClearError(t *testing.T) {
	err := blockKeeper{}.Keep(t.Context(), cluster.BlockRef{}, make([]byte, maxPayload+1))
	if err == nil || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("err = %v, want a clear error", err)
	}
}

// The block store holds at most its bound: a put beyond it waits until
// blocks are dropped; a block larger than the bound is a clear error.
func TestBlockStoreBound(t *testing.T) {
	s := newBlockStore("1", 10)
	a, err := s.put(t.Context(), make([]byte, 6))
	if err != nil {
		t.Fatal(err)
	}
	put := make(chan error, 1)
	go func() { _, err := s.put(t.Context(), make([]byte, 6)); put <- err }()
	select {
	case err := <-put:
		t.Fatalf("a put beyond the bound returned %v, want it to wait", err)
	case <-time.After(50 * time.Millisecond):
	}
	if s.drop(a) != 1 {
		t.Fatal("drop found no block")
	}
	if err := <-put; err != nil {
		t.Fatalf("the waiting put after a drop: %v", err)
	}
	if s.usage() != 6 {
		t.Errorf("usage %d, want 6", s.usage())
	}
	if _, err := s.put(t.Context(), make([]byte, 11)); err == nil || !strings.Contains(err.Error(), "blockStore.maxBytes") {
		t.Errorf("a block over the bound: %v, want a clear error", err)
	}
}
