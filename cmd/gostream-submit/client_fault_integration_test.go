//go:build integration

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gostream/gostream/client"
	"github.com/gostream/gostream/internal/yarn"
	"github.com/gostream/gostream/internal/yarntest"
)

// clientModeArgs submit testdata/failingapp with --deploy-mode client, one
// executor (which runs its receiver) and short timeouts.
func clientModeArgs(t *testing.T, appArgs ...string) []string {
	return append([]string{"--master", "yarn", "--deploy-mode", "client", "--num-executors", "1", "--executor-memory", "256m",
		"--conf", "spark.yarn.am.memory=256m", "--conf", "spark.driver.host=127.0.0.1", "--conf", "gostream.yarn.report.interval=500ms",
		"--conf", "spark.yarn.maxAppAttempts=1", "--conf", "gostream.network.timeout=20s",
		yarntest.Build(t, "./testdata/failingapp", "failingapp")}, appArgs...)
}

// TestIntegrationYarnClientModeDriverFailure (issue 11, client mode): a
// client-mode driver whose batch fails tells the application master so,
// and the application ends FAILED with the batch's error in YARN's
// diagnostics (Spark's ExecutorLauncher, and gostream before, unregistered
// SUCCEEDED once the driver disconnected); gostream-submit exits non-zero.
func TestIntegrationYarnClientModeDriverFailure(t *testing.T) {
	y := newYarnIT(t)
	const reason = "the sink refused batch 1"
	var stdout, stderr syncBuffer
	status := submit(clientModeArgs(t, "-fail", reason), y.environ(), stdio{strings.NewReader(""), &stdout, &stderr}, noSignals)
	t.Logf("gostream-submit exited %d:\n%s", status, stderr.String())
	if status == exitOK {
		t.Errorf("gostream-submit exited 0 after its driver failed")
	}
	if !strings.Contains(stdout.String(), "failingapp: batch") {
		t.Fatalf("no batch ran on the executor's records:\n%s", stdout.String())
	}
	r := y.endedApp(t, stderr.String())
	if r.FinalStatus != yarn.FinalFailed || !strings.Contains(r.Diagnostics, reason) || !strings.Contains(r.Diagnostics, "client-mode driver") {
		t.Errorf("application ended %s with diagnostics %q: want FAILED with the driver's error (%q)", r.FinalStatus, r.Diagnostics, reason)
	}
}

// TestIntegrationYarnClientModeDriverEndsFirst: a client-mode driver that
// ends before the application master reaches it (here: its setup function
// fails) leaves nothing listening, and the AM ends the application FAILED at
// once, saying so. Before, gostream-submit kept the socket open, the AM
// waited on it, and gostream-submit killed the application after
// gostream.network.timeout: it ended KILLED.
func TestIntegrationYarnClientModeDriverEndsFirst(t *testing.T) {
	y := newYarnIT(t)
	var stdout, stderr syncBuffer
	const reason = "the database is not there"
	status := submit(clientModeArgs(t, "-fail-setup", reason), y.environ(), stdio{strings.NewReader(""), &stdout, &stderr}, noSignals)
	t.Logf("gostream-submit exited %d:\n%s", status, stderr.String())
	if status == exitOK || !strings.Contains(stderr.String(), reason) {
		t.Errorf("gostream-submit exited %d, want the driver's failure, saying why", status)
	}
	r := y.endedApp(t, stderr.String())
	if r.FinalStatus != yarn.FinalFailed || !strings.Contains(r.Diagnostics, "had ended before the application master could reach it") {
		t.Errorf("application ended %s with diagnostics %q: want FAILED, saying the driver had ended", r.FinalStatus, r.Diagnostics)
	}
}

// TestIntegrationYarnClientModeSubmitKilled (issue 11, client mode):
// gostream-submit killed with SIGKILL takes its driver down (the kernel
// sends it SIGTERM); the application must not end SUCCEEDED, as Spark's
// client mode and gostream before reported it: it ends KILLED, saying that
// a signal stopped the driver.
func TestIntegrationYarnClientModeSubmitKilled(t *testing.T) {
	y := newYarnIT(t)
	submitBin := yarntest.Build(t, ".", "gostream-submit")
	dir := t.TempDir()
	stdout, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	defer stdout.Close()
	stderrPath := filepath.Join(dir, "stderr")
	stderr, err := os.Create(stderrPath)
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	// Files, not pipes: the driver outlives gostream-submit briefly and
	// must be able to write its log.
	cmd := exec.Command(submitBin, clientModeArgs(t)...)
	cmd.Env, cmd.Stdout, cmd.Stderr = y.environ(), stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waited := false
	defer func() {
		if !waited {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()
	readErr := func() string { b, _ := os.ReadFile(stderrPath); return string(b) }
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(readErr(), `msg="receiver running on an executor"`) {
		if time.Now().After(deadline) {
			t.Fatalf("the receiver is not running on an executor after 2 minutes:\n%s", readErr())
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	waited = true
	r := y.endedApp(t, readErr())
	t.Logf("after SIGKILL: %s, %s: %s", r.State, r.FinalStatus, r.Diagnostics)
	if r.FinalStatus == yarn.FinalSucceeded {
		t.Fatalf("application ended SUCCEEDED after gostream-submit was killed:\n%s", readErr())
	}
	if r.FinalStatus != yarn.FinalKilled || !strings.Contains(r.Diagnostics, "SIGTERM") {
		t.Errorf("application ended %s with diagnostics %q: want KILLED, naming the SIGTERM that stopped the driver", r.FinalStatus, r.Diagnostics)
	}
}

// endedApp waits for the end of the application gostream-submit's stderr
// names and returns the RM's report of it.
func (y *yarnIT) endedApp(t *testing.T, stderr string) *client.ApplicationReport {
	t.Helper()
	m := submittedRE.FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no application id in gostream-submit's stderr:\n%s", stderr)
	}
	id, err := yarn.ParseApplicationID(m[1])
	if err != nil {
		t.Fatal(err)
	}
	app := &yarntest.App{Env: y.Env, ID: id}
	app.DumpLogsOnFailure()
	return app.WaitEnd(time.Minute)
}
