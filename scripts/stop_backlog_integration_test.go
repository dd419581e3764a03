//go:build integration

package scripts_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gostream/gostream/internal/yarn"
)

// TestIntegrationStopWithBacklogProcessesEverything: batches slower than
// the batch interval build a backlog far longer than the graceful-stop
// timeout; deleting the marker still processes every acknowledged record,
// because the timeout only bounds a stop without progress, and the script
// says it stopped gracefully.
func TestIntegrationStopWithBacklogProcessesEverything(t *testing.T) {
	const timeout = 3 * time.Second
	o := newOpsIT(t)
	a := o.newApp("backlog")
	a.start("reliablecount", []string{"--num-executors", "1", "--conf", "gostream.streaming.gracefulStopTimeout=" + timeout.String()},
		"-sink-delay", "1500ms") // 1 s batches that take 1.5 s each
	r := a.WaitRunning(1, 2*time.Minute)
	a.waitAcked(0)
	time.Sleep(15 * time.Second) // a backlog of about 5 batches builds
	if st := a.Status(r.TrackingURL); len(st.Batches) > 0 {
		b := st.Batches[len(st.Batches)-1]
		t.Logf("before the stop: %d batches completed, the last with a scheduling delay of %s", st.CompletedBatches, b.Scheduling)
	}
	began := time.Now()
	status, _, stderr := o.script(nil, "gostream-stop.sh", "-m", a.marker)
	took := time.Since(began)
	if status != 0 || !strings.Contains(stderr, "stopped gracefully") {
		t.Fatalf("gostream-stop.sh with a backlog: exit %d, want 0 and 'stopped gracefully'", status)
	}
	if r := a.Report(); r.FinalStatus != yarn.FinalSucceeded {
		t.Fatalf("after the stop: %s %s", r.State, r.FinalStatus)
	}
	n := a.checkExactlyOnce(false)
	t.Logf("%d acknowledged records all counted; the stop took %s, the graceful-stop timeout is %s", n, took.Round(time.Second), timeout)
}

// TestIntegrationStopThatCannotFinish: every batch takes longer than the
// graceful-stop timeout, so the stop gives up; the application ends FAILED
// on its first attempt (no new one), and gostream-stop.sh exits non-zero
// saying how many batches and records were left and that the write-ahead
// log keeps them. A new start then counts them: nothing acknowledged is
// lost.
func TestIntegrationStopThatCannotFinish(t *testing.T) {
	o := newOpsIT(t)
	a := o.newApp("stuck")
	a.start("reliablecount", []string{"--num-executors", "1", "--conf", "gostream.streaming.gracefulStopTimeout=2s"},
		"-sink-delay", "5s")
	a.WaitRunning(1, 2*time.Minute)
	a.waitAcked(0)
	time.Sleep(3 * time.Second)
	status, _, stderr := o.script(nil, "gostream-stop.sh", "-m", a.marker)
	for _, want := range []string{"did not stop cleanly", "FAILED", "graceful stop incomplete", "records were not processed", "kept in the write-ahead log for the next start"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("gostream-stop.sh's words lack %q", want)
		}
	}
	if status != 1 {
		t.Errorf("gostream-stop.sh after a stop that gave up: exit %d, want 1", status)
	}
	r := a.Report()
	if r.FinalStatus != yarn.FinalFailed || r.CurrentAttempt.Attempt != 1 {
		t.Errorf("after a stop that gave up: %s %s on attempt %d, want FAILED on attempt 1", r.State, r.FinalStatus, r.CurrentAttempt.Attempt)
	}
	t.Logf("diagnostics: %s", r.Diagnostics)

	a.start("reliablecount", []string{"--num-executors", "1"})
	a.WaitRunning(1, 2*time.Minute)
	n, err := strconv.Atoi(strings.TrimSpace(a.read(a.acked)))
	if err != nil {
		t.Fatal(err)
	}
	a.waitAcked(n)
	a.stop()
	a.checkExactlyOnce(false)
}
