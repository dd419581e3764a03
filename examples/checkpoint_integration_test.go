//go:build integration

package examples_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gostream/gostream/internal/yarntest"
)

// TestIntegrationUnwritableCheckpointDirectory: a checkpoint directory on
// HDFS that the application's user may not write stops the application at
// its start with an error that says so and a non-zero exit, instead of
// running to the end without a checkpoint and exiting 0 (issue 11, item 5).
func TestIntegrationUnwritableCheckpointDirectory(t *testing.T) {
	y := yarntest.New(t)
	if err := y.FS.MkdirAll(t.Context(), y.Path("locked"), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "wordcount"), "-duration", "10s", "-checkpoint", y.URL("locked/checkpoint"))
	cmd.Env = append(os.Environ(), "HADOOP_CONF_DIR="+y.Cluster.HadoopConfDir, "HADOOP_USER_NAME=nobody")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 {
		t.Fatalf("wordcount with an unwritable checkpoint directory: %v, want a non-zero exit\n%s", err, out)
	}
	if s := string(out); !strings.Contains(s, "cannot be written") || !strings.Contains(s, "ermission") || strings.Contains(s, "batch completed") {
		t.Errorf("output: want the directory named as not writable, before any batch:\n%s", s)
	}
}
