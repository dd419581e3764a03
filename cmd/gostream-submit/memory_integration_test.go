//go:build integration

package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gostream/gostream/internal/yarn"
	"github.com/gostream/gostream/internal/yarntest"
	"github.com/gostream/gostream/ui"
)

// TestIntegrationYarnExecutorKilledForMemory: executor 1 of testdata/memhogapp
// holds more memory than its container (128m + 64m overhead, 256 MB once the
// RM rounds it up), so the NodeManager kills it (-104): the status page
// names the reason and the key to raise; when a second executor failure
// reaches gostream.executor.maxNumFailures, YARN's diagnostics name both
// reasons, the memory kill first. The receiver's blocks are kept on the
// executor, so the write-ahead log is on: without it the killed executor's
// blocks would be lost and fail the batch (engine.LostBlocksError) before
// the second failure.
func TestIntegrationYarnExecutorKilledForMemory(t *testing.T) {
	y := newYarnIT(t)
	app := y.submit("--num-executors", "1", "--executor-memory", "128m", "--conf", "gostream.executor.memoryOverhead=64m",
		"--conf", "spark.yarn.maxAppAttempts=1", "--conf", "spark.executor.maxNumFailures=2",
		"--conf", "gostream.streaming.receiver.writeAheadLog.enable=true", "--conf", "gostream.streaming.checkpoint.directory="+y.URL("checkpoint"),
		yarntest.Build(t, "./testdata/memhogapp", "memhogapp"), "-mb", "600", "-executor", "1")
	r := app.WaitRunning(1, 2*time.Minute)

	var killed ui.EndedExecutor
	deadline := time.Now().Add(90 * time.Second)
	for killed.ID == "" {
		st := app.Status(r.TrackingURL)
		for _, e := range st.EndedExecutors {
			if e.ID == "1" {
				killed = e
			}
		}
		if killed.ID == "" && time.Now().After(deadline) {
			t.Fatalf("executor 1 has not ended 90s after the application started (ended: %+v): does the test cluster's "+
				"NodeManager enforce physical memory (yarn.nodemanager.pmem-check-enabled in testcluster/image/conf/yarn-site.xml)?", st.EndedExecutors)
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("status page: %+v", killed)
	if killed.ExitStatus != -104 || !killed.Failure || !strings.Contains(killed.Reason, "killed by YARN for exceeding its physical memory (") ||
		!strings.Contains(killed.Reason, "raise --executor-memory (gostream.executor.memory) or gostream.executor.memoryOverhead") {
		t.Errorf("executor 1 on the status page: %+v, want killed for physical memory, with usage, limit and the keys to raise", killed)
	}
	app.WaitLog("executor failed: killed by YARN for exceeding its physical memory", 10*time.Second)

	// A second failure (executor 2, which replaced it, killed) ends the
	// application.
	st := app.Status(r.TrackingURL)
	for !registered(st, "2") {
		if time.Now().After(deadline.Add(time.Minute)) {
			t.Fatalf("no executor 2 registered in place of executor 1: %+v", st.Registered)
		}
		time.Sleep(500 * time.Millisecond)
		st = app.Status(r.TrackingURL)
	}
	second := executorContainer(t, st, "2")
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if _, _, err := y.Cluster.KillContainer(ctx, second); err != nil {
		t.Fatal(err)
	}
	if status := app.wait(2 * time.Minute); status != exitStartFailed {
		t.Errorf("gostream-submit exited %d, want %d", status, exitStartFailed)
	}
	final := app.Report()
	t.Logf("diagnostics: %s", final.Diagnostics)
	for _, want := range []string{"2 executor failures", killed.Container + " (executor 1) killed by YARN for exceeding its physical memory (",
		"used): raise --executor-memory", second + " (executor 2) "} {
		if final.FinalStatus != yarn.FinalFailed || !strings.Contains(final.Diagnostics, want) {
			t.Errorf("final report %s, diagnostics %q: want FAILED with %q", final.FinalStatus, final.Diagnostics, want)
		}
	}
}
