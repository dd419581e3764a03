package am

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/container"
	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/internal/hadoop/token"
	"github.com/gostream/gostream/internal/logtest"
	"github.com/gostream/gostream/internal/procenv"
	"github.com/gostream/gostream/internal/yarn"
)

// clientModeAM is a client-mode AM run against a driver's endpoint in this
// process, with a fake RM and launcher.
type clientModeAM struct {
	ep   *container.Endpoint
	rm   *fakeRM
	l    *fakeLauncher
	done chan error // Run's result
}

// writeSecret writes container credentials holding the application secret,
// as gostream-submit's launch context gives them to a client-mode AM, and
// returns the file's name.
func writeSecret(t *testing.T, secret string) string {
	t.Helper()
	b, err := secretCredentials(secret)
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(t.TempDir(), "container_tokens")
	if err := os.WriteFile(name, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

func startClientModeAM(t *testing.T) *clientModeAM {
	t.Helper()
	rec, log := logtest.New()
	ep, err := container.Listen(container.EndpointOptions{Addr: "127.0.0.1:0", Secret: "s", Timeout: 300 * time.Millisecond,
		Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ep.Close() })
	env := amEnv(1)
	env[procenv.ClientDriver], env[token.EnvTokenFile] = fmt.Sprintf("127.0.0.1:%d", ep.Port()), writeSecret(t, "s")
	env["GOSTREAM_NETWORK_TIMEOUT"], env["GOSTREAM_EXECUTOR_HEARTBEATINTERVAL"] = "300ms", "50ms"
	var environ []string
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	c := &clientModeAM{ep: ep, rm: &fakeRM{}, l: &fakeLauncher{}, done: make(chan error, 1)}
	go func() {
		c.done <- Run(t.Context(), Config{Driver: func(context.Context, *conf.Conf, engine.Listener, Executors, ...engine.Option) error { return nil },
			Args: []string{}, Getenv: func(k string) string { return env[k] }, Environ: environ,
			Logger: slog.New(slog.DiscardHandler), Signals: make(chan os.Signal), Scheduler: c.rm, Launcher: c.l,
			RemoveStaging: func(context.Context, string) error { return nil }})
	}()
	deadline := time.Now().Add(10 * time.Second)
	connected := func() bool {
		return slices.ContainsFunc(rec.Records(), func(r logtest.Record) bool { return r.Message == "application master connected" })
	}
	for !connected() {
		if time.Now().After(deadline) {
			t.Fatal("the AM did not connect to the driver's endpoint")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return c
}

// end closes the driver's endpoint, as the driver's process does when it
// exits, and returns how the AM ended: what it told the RM and Run's error.
func (c *clientModeAM) end(t *testing.T) (yarn.FinalStatus, string, error) {
	t.Helper()
	c.ep.Close()
	var err error
	select {
	case err = <-c.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the AM did not end after the client-mode driver left")
	}
	c.rm.mu.Lock()
	defer c.rm.mu.Unlock()
	if len(c.rm.finished) != 1 {
		t.Fatalf("unregistered %d times (%v), want once", len(c.rm.finished), c.rm.finished)
	}
	return c.rm.finished[0], c.rm.diags[0], err
}

// TestClientModeDriverEnd: the client-mode driver says how it ended before
// closing the AM's link, and the application ends as it did: SUCCEEDED
// only when it stopped by itself; FAILED, with its error as diagnostics,
// when it failed (however a new attempt would fare: no attempt restarts
// the submitter's driver) or when the link ends without a word; KILLED
// when a signal stopped it.
func TestClientModeDriverEnd(t *testing.T) {
	graph := &engine.GraphChangedError{Dir: "hdfs://nn/ckpt"}
	stopIncomplete := &engine.StopIncompleteError{Batches: 3, Records: 30, WAL: true}
	cases := []struct {
		name   string
		end    *container.DriverEnd // nil: the link ends without one
		status yarn.FinalStatus
		diag   []string
	}{
		{"stopped by itself", &container.DriverEnd{}, yarn.FinalSucceeded, []string{"the streaming context stopped"}},
		{"batch failed", ptr(ClientDriverEnd(errors.New("batch 1700000000000 failed: sink refused"), nil)), yarn.FinalFailed,
			[]string{"client-mode driver", "failed: batch 1700000000000 failed: sink refused"}},
		{"graph changed", ptr(ClientDriverEnd(fmt.Errorf("recover: %w", graph), nil)), yarn.FinalFailed,
			[]string{graph.Error(), "would fail the same way"}},
		{"graceful stop gave up", ptr(ClientDriverEnd(stopIncomplete, nil)), yarn.FinalFailed, []string{stopIncomplete.Error()}},
		{"stopped by a signal", ptr(ClientDriverEnd(nil, syscall.SIGTERM)), yarn.FinalKilled, []string{"stopped by SIGTERM"}},
		{"graceful stop on a signal gave up", ptr(ClientDriverEnd(stopIncomplete, syscall.SIGINT)), yarn.FinalFailed,
			[]string{"failed after SIGINT", stopIncomplete.Error()}},
		{"killed", nil, yarn.FinalFailed, []string{"went away without saying how it ended"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			am := startClientModeAM(t)
			if c.end != nil {
				if err := am.ep.ReportEnd(t.Context(), *c.end); err != nil {
					t.Fatal(err)
				}
			}
			status, diag, err := am.end(t)
			if status != c.status {
				t.Errorf("final status %s, want %s (diagnostics %q)", status, c.status, diag)
			}
			for _, want := range c.diag {
				if !strings.Contains(diag, want) {
					t.Errorf("diagnostics %q lack %q", diag, want)
				}
			}
			var ee *ExitError
			if c.status == yarn.FinalSucceeded && err != nil || c.status != yarn.FinalSucceeded && (!errors.As(err, &ee) || !ee.Unregistered || ee.Code == 0) {
				t.Errorf("Run returned %v", err)
			}
		})
	}
}

// TestClientModeLostExecutorIsReplaced: in client mode the driver's
// endpoint is in the submitter's process; it names the executors it
// declares lost over the AM's link, and the AM stops their containers and
// replaces them as in cluster mode.
func TestClientModeLostExecutorIsReplaced(t *testing.T) {
	am := startClientModeAM(t)
	l := am.l
	launched := func() int { l.mu.Lock(); defer l.mu.Unlock(); return len(l.launched) }
	for launched() < 2 {
		time.Sleep(10 * time.Millisecond)
	}
	// Executor 1 registers, then stops answering: the driver declares it
	// lost after its 300 ms timeout.
	ctx, cancel := context.WithCancel(t.Context())
	frozen := make(chan struct{})
	go func() {
		defer close(frozen)
		_ = container.RunExecutor(ctx, container.ExecutorConfig{DriverAddress: fmt.Sprintf("127.0.0.1:%d", am.ep.Port()), Secret: "s", ID: "1",
			Heartbeat: time.Hour, Timeout: time.Hour, Logger: slog.New(slog.DiscardHandler)})
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		l.mu.Lock()
		stopped, n := len(l.stopped), len(l.launched)
		l.mu.Unlock()
		if stopped == 1 && n == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stopped %d containers and launched %d executors, want 1 stopped and a third launched", stopped, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-frozen
	if err := am.ep.ReportEnd(t.Context(), container.DriverEnd{}); err != nil {
		t.Fatal(err)
	}
	if status, _, err := am.end(t); err != nil || status != yarn.FinalSucceeded {
		t.Fatalf("AM after the client-mode driver stopped: %v, %s", err, status)
	}
}

func ptr[T any](v T) *T { return &v }
