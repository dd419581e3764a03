//go:build integration

package main

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/gostream/gostream/container"
	"github.com/gostream/gostream/internal/yarn"
	"github.com/gostream/gostream/ui"
)

// TestIntegrationYarnFrozenExecutorIsReplaced (issue 11, item 3): an
// executor frozen with SIGSTOP is declared lost after gostream.network.timeout;
// its container is then stopped and a new executor replaces it, counted as
// one executor failure, while the word count goes on exactly; thawed, the
// old executor does not rejoin; a graceful stop through the marker ends the
// application SUCCEEDED with every file counted once.
func TestIntegrationYarnFrozenExecutorIsReplaced(t *testing.T) {
	const timeout = 10 * time.Second
	y := newYarnIT(t)
	marker := y.URL("marker")
	app := y.submit(y.filestreamArgs([]string{"--num-executors", "2", "--conf", "spark.yarn.maxAppAttempts=1",
		"--conf", "gostream.network.timeout=" + timeout.String(), "--conf", "gostream.executor.heartbeatInterval=1s",
		"--conf", "gostream.streaming.stopMarker=" + marker, "--conf", "gostream.streaming.stopMarker.pollInterval=500ms"})...)
	r := app.WaitRunning(1, 2*time.Minute)
	app.WaitLog("executor=2 host=", time.Minute) // both executors registered
	want := map[string]int{}
	text, add := words("before", 60)
	y.putFile("a.txt", text)
	addCounts(want, add)
	y.waitCounts(want, time.Minute)

	frozen := executorContainer(t, app.Status(r.TrackingURL), "2")
	app.Freeze(frozen)
	froze := time.Now()
	text, add = words("while-frozen", 60)
	y.putFile("b.txt", text)
	addCounts(want, add)

	// Declared lost after the timeout, replaced by executor 3.
	deadline := froze.Add(timeout + 45*time.Second)
	for {
		st := app.Status(r.TrackingURL)
		if registered(st, "3") && !registered(st, "2") && running(st, "3") && !running(st, "2") {
			t.Logf("executor 3 registered %s after the freeze", time.Since(froze).Round(time.Second))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s after freezing executor 2 (network timeout %s): running %+v, registered %+v: want executor 3 in its place",
				time.Since(froze).Round(time.Second), timeout, st.Executors, st.Registered)
		}
		time.Sleep(500 * time.Millisecond)
	}
	y.waitCounts(want, time.Minute)
	app.WaitLog("executor lost: releasing its container", 10*time.Second)

	// The frozen process was killed with its container; one still there
	// when thawed must exit without rejoining.
	app.Thaw(frozen, time.Minute)
	text, add = words("after-thaw", 60)
	y.putFile("c.txt", text)
	addCounts(want, add)
	y.waitCounts(want, time.Minute)
	st := app.Status(r.TrackingURL)
	if registered(st, "2") || len(st.Registered) != 2 {
		t.Errorf("registered after the thaw: %+v, want two executors, not 2", st.Registered)
	}
	// One failure, once the RM has reported the container: not two.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	for st.ExecutorFailures == 0 && ctx.Err() == nil {
		time.Sleep(500 * time.Millisecond)
		st = app.Status(r.TrackingURL)
	}
	if st.ExecutorFailures != 1 {
		t.Errorf("%d executor failures, want 1", st.ExecutorFailures)
	}

	if err := y.FS.Remove(ctx, y.Path("marker")); err != nil {
		t.Fatal(err)
	}
	if status := app.wait(2 * time.Minute); status != exitOK {
		t.Fatalf("gostream-submit exited %d after the graceful stop, want 0", status)
	}
	if r := app.Report(); r.FinalStatus != yarn.FinalSucceeded {
		t.Errorf("final report %s %s %q, want SUCCEEDED", r.State, r.FinalStatus, r.Diagnostics)
	}
	y.waitCounts(want, 0)
}

// executorContainer is the container of executor id on the status page.
func executorContainer(t *testing.T, st *ui.Status, id string) string {
	t.Helper()
	for _, e := range st.Executors {
		if e.ID == id {
			return e.Container
		}
	}
	t.Fatalf("no executor %s among %+v", id, st.Executors)
	return ""
}

// running says whether the AM runs executor id in a container.
func running(st *ui.Status, id string) bool {
	return slices.ContainsFunc(st.Executors, func(e ui.Executor) bool { return e.ID == id })
}

// registered says whether executor id is registered with the driver.
func registered(st *ui.Status, id string) bool {
	return slices.ContainsFunc(st.Registered, func(e container.ExecutorInfo) bool { return e.ID == id })
}
