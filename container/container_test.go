package container

import (
	"context"
	"errors"
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
	_, err := ExecutorConfigFromEnv(func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), "application master") {
		t.Fatalf("empty env: %v", err)
	}
	env := map[string]string{procenv.DriverAddress: "h:1", procenv.ExecutorSecret: "s", procenv.ExecutorID: "3", procenv.ExecutorCores: "4"}
	c, err := ExecutorConfigFromEnv(func(k string) string { return env[k] })
	if err != nil || c.ID != "3" || c.Cores != 4 || c.DriverAddress != "h:1" {
		t.Fatalf("%+v %v", c, err)
	}
}
