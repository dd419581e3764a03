//go:build integration

package examples_test

import (
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gostream/gostream/internal/yarntest"
)

// TestIntegrationSecondDriverOnCheckpointDirectory: two local drivers
// (reliablecount, with the WAL) on one HDFS checkpoint directory. The
// second refuses to start, naming the first and when its lease would
// expire, and exits non-zero; the first runs on and its totals equal what
// its source had acknowledged (issue 11, item 4: both used to run and
// report success while overwriting each other's checkpoints).
func TestIntegrationSecondDriverOnCheckpointDirectory(t *testing.T) {
	y := yarntest.New(t)
	env := []string{"HADOOP_CONF_DIR=" + y.Cluster.HadoopConfDir, "GOSTREAM_STREAMING_RECEIVER_WRITEAHEADLOG_ENABLE=true"}
	args := func(name, duration string) []string {
		return []string{"-duration", duration, "-checkpoint", y.URL("checkpoint"),
			"-out", y.URL(name + "/state"), "-acked", y.URL(name + "/acked")}
	}
	first := startEnv(t, env, "reliablecount", args("first", "12s")...)
	first.waitFor(t, `msg="batch completed"`)

	second := startEnv(t, env, "reliablecount", args("second", "5s")...)
	var exit *exec.ExitError
	select {
	case err := <-second.done:
		if !errors.As(err, &exit) || exit.ExitCode() == 0 {
			t.Fatalf("the second driver: %v, want a non-zero exit\nstderr:\n%s", err, second.stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the second driver runs beside the first\nstderr:\n%s", second.stderr.String())
	}
	msg := second.stderr.String()
	for _, want := range []string{"is in use by local run", "pid " + strconv.Itoa(first.cmd.Process.Pid), "lease expires in", "gostream.streaming.checkpoint.lease.timeout"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the second driver's error lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "batch completed") {
		t.Errorf("the second driver ran batches:\n%s", msg)
	}

	first.wait(t)
	acked, err := y.ReadFile("first/acked")
	if err != nil {
		t.Fatal(err)
	}
	state, err := y.ReadFile("first/state")
	if err != nil {
		t.Fatal(err)
	}
	var total int
	for _, line := range strings.Split(strings.TrimSpace(state), "\n") {
		_, n, _ := strings.Cut(line, " ")
		c, err := strconv.Atoi(n)
		if err != nil {
			t.Fatalf("state line %q: %v", line, err)
		}
		total += c
	}
	if want, _ := strconv.Atoi(strings.TrimSpace(acked)); total != want || want == 0 {
		t.Errorf("the first driver counted %d records, its source acknowledged %d", total, want)
	}
}
