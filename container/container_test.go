package container

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gostream/gostream/internal/procenv"
)

func TestExecutorRegistersAndEndsWithTheDriver(t *testing.T) {
	ep, err := Listen(EndpointOptions{Addr: "127.0.0.1:0", Secret: "s3cret", Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	addr := ep.addr()
	done := make(chan error, 1)
	go func() {
		done <- RunExecutor(t.Context(), ExecutorConfig{DriverAddress: addr, Secret: "s3cret", ID: "1", Cores: 2,
			Heartbeat: 20 * time.Millisecond, Timeout: 2 * time.Second})
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := ep.waitRegistered(ctx, 1); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	ex := ep.Executors()
	if len(ex) != 1 || ex[0].ID != "1" || ex[0].Cores != 2 || !ex[0].LastHeartbeat.After(ex[0].Registered) {
		t.Fatalf("executors %+v", ex)
	}
	ep.Close()
	select {
	case err := <-done:
		if !errors.Is(err, ErrDriverGone) {
			t.Fatalf("executor ended with %v, want ErrDriverGone", err)
		}
	case <-ctx.Done():
		t.Fatal("executor did not notice the driver left")
	}
}

func TestExecutorWithAWrongSecretIsRefused(t *testing.T) {
	ep, err := Listen(EndpointOptions{Addr: "127.0.0.1:0", Secret: "right", Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	err = RunExecutor(t.Context(), ExecutorConfig{DriverAddress: ep.addr(), Secret: "wrong", ID: "7", Timeout: 2 * time.Second})
	if !errors.Is(err, ErrAuth) {
		t.Fatalf("got %v, want ErrAuth", err)
	}
	if n := len(ep.Executors()); n != 0 {
		t.Fatalf("%d executors registered", n)
	}
}

func TestExecutorStopsWithItsContext(t *testing.T) {
	ep, err := Listen(EndpointOptions{Addr: "127.0.0.1:0", Secret: "x"})
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- RunExecutor(ctx, ExecutorConfig{DriverAddress: ep.addr(), Secret: "x", ID: "1", Heartbeat: time.Hour})
	}()
	wctx, wcancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer wcancel()
	if err := ep.waitRegistered(wctx, 1); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("cancelled executor: %v", err)
	}
}

func TestExecutorConfigFromEnv(t *testing.T) {
	_, err := ExecutorConfigFromEnv(func(string) string { return "" }, "")
	if err == nil || !strings.Contains(err.Error(), "application master") || !strings.Contains(err.Error(), "secret") {
		t.Fatalf("empty env: %v", err)
	}
	env := map[string]string{procenv.DriverAddress: "h:1", procenv.ExecutorID: "3", procenv.ExecutorCores: "4"}
	c, err := ExecutorConfigFromEnv(func(k string) string { return env[k] }, "s")
	if err != nil || c.ID != "3" || c.Cores != 4 || c.DriverAddress != "h:1" || c.Secret != "s" {
		t.Fatalf("%+v %v", c, err)
	}
}

// TestLostExecutorIsRefusedWhenItComesBack: an executor silent for the
// timeout (frozen, partitioned) is declared lost, which OnLost hears once;
// its old connection is closed, so nothing it sends later arrives, and when
// it connects again with its id the driver refuses it with ErrDeclaredLost
// (the process exits) instead of taking it back with stale state. Close's
// disconnections are not losses.
func TestLostExecutorIsRefusedWhenItComesBack(t *testing.T) {
	lost := make(chan string, 4)
	ep, err := Listen(EndpointOptions{Addr: "127.0.0.1:0", Secret: "s", Timeout: 300 * time.Millisecond,
		OnLost: func(id string, err error) { lost <- id }})
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()

	// Executor 1 registers, then goes silent: no heartbeat, as if frozen.
	frozen, err := net.Dial("tcp", ep.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer frozen.Close()
	lc := newLineConn(frozen)
	if err := dialHandshake(lc, "s", time.Second, message{ExecutorID: "1", Cores: 1}); err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-lost:
		if id != "1" {
			t.Fatalf("lost %q, want 1", id)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a silent executor was not declared lost")
	}
	if ex := ep.Executors(); len(ex) != 0 {
		t.Fatalf("executors after the loss: %+v", ex)
	}
	// It wakes up: what it sends on its old connection reaches nobody.
	_ = lc.send(message{Seq: 1, Op: opHeartbeat, Heartbeat: 1}, time.Second)
	if m, err := lc.recv(time.Second); err == nil {
		t.Fatalf("the lost executor's old connection answered %+v", m)
	}
	// It connects again: refused, promptly, with a reason.
	done := make(chan error, 1)
	go func() {
		done <- RunExecutor(t.Context(), ExecutorConfig{DriverAddress: ep.addr(), Secret: "s", ID: "1", Heartbeat: 50 * time.Millisecond, Timeout: 5 * time.Second})
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrDeclaredLost) || errors.Is(err, ErrDriverGone) || !strings.Contains(err.Error(), "declared lost at") {
			t.Fatalf("returning executor: %v, want a refusal wrapping ErrDeclaredLost", err)
		}
		t.Logf("refused: %v", err)
	case <-time.After(3 * time.Second):
		t.Fatal("the returning executor was not refused promptly")
	}
	if ex := ep.Executors(); len(ex) != 0 {
		t.Fatalf("the lost executor rejoined: %+v", ex)
	}

	// Another executor is taken; Close disconnecting it is not a loss.
	go func() {
		done <- RunExecutor(t.Context(), ExecutorConfig{DriverAddress: ep.addr(), Secret: "s", ID: "2", Heartbeat: 50 * time.Millisecond, Timeout: 5 * time.Second})
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := ep.waitRegistered(ctx, 1); err != nil {
		t.Fatal(err)
	}
	ep.Close()
	if err := <-done; !errors.Is(err, ErrDriverGone) {
		t.Fatalf("executor 2 after Close: %v", err)
	}
	select {
	case id := <-lost:
		t.Fatalf("executor %s declared lost by Close", id)
	default:
	}
}
