//go:build integration

package examples_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gostream/gostream/hdfsstore"
	"github.com/gostream/gostream/internal/yarntest"
)

// reliableRun runs examples/reliablecount (the WAL on, its default) with its
// checkpoint, state and acknowledged offset on the test cluster's HDFS, and
// returns its exit error and output.
func reliableRun(t *testing.T, y *yarntest.Env, duration string, env ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "reliablecount"), "-duration", duration, "-batch", "1s",
		"-rate", "200", "-chunk", "20", "-words", "7",
		"-out", y.URL("state"), "-acked", y.URL("acked"), "-checkpoint", y.URL("checkpoint"))
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOSTREAM_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, append([]string{"HADOOP_CONF_DIR=" + y.Cluster.HadoopConfDir}, env...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// countsAndAcked reads the state file's total and the acknowledged offset.
func countsAndAcked(t *testing.T, y *yarntest.Env) (total, acked int) {
	t.Helper()
	state, err := y.ReadFile("state")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(strings.TrimSpace(state), "\n") {
		_, c, _ := strings.Cut(line, " ")
		n, _ := strconv.Atoi(c)
		total += n
	}
	b, err := y.ReadFile("acked")
	if err != nil {
		t.Fatal(err)
	}
	acked, err = strconv.Atoi(b)
	if err != nil {
		t.Fatal(err)
	}
	return total, acked
}

// damage replaces an HDFS file with its first half.
func damage(t *testing.T, y *yarntest.Env, p string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	b, err := hdfsstore.ReadFile(ctx, y.FS, p)
	if err != nil {
		t.Fatal(err)
	}
	if err := y.FS.Remove(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := hdfsstore.WriteFileAtomic(ctx, y.FS, p, b[:len(b)/2]); err != nil {
		t.Fatal(err)
	}
}

// list returns the names in an HDFS directory of the test, sorted.
func list(t *testing.T, y *yarntest.Env, dir string) []string {
	t.Helper()
	infos, err := y.FS.ReadDir(t.Context(), y.Path(dir))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, i := range infos {
		names = append(names, i.Name())
	}
	slices.Sort(names)
	return names
}

// TestIntegrationDamagedSnapshotFallsBack: the newest state snapshot on
// HDFS is truncated between two runs; the restart falls back to an older
// checkpoint, replays the WAL, says what it skipped, and the counts are
// exact (issue 11, item 6; on main the restart failed with "state snapshot
// checksum mismatch").
func TestIntegrationDamagedSnapshotFallsBack(t *testing.T) {
	y := yarntest.New(t)
	// The snapshot interval is 10 batches: the first one is at batch 10.
	if out, err := reliableRun(t, y, "13s"); err != nil {
		t.Fatalf("first run: %v\n%s", err, out)
	}
	snaps := list(t, y, "checkpoint/state")
	if len(snaps) == 0 {
		t.Fatal("the first run wrote no state snapshot")
	}
	newest := snaps[len(snaps)-1]
	damage(t, y, y.Path("checkpoint/state/"+newest))

	out, err := reliableRun(t, y, "4s")
	if err != nil {
		t.Fatalf("restart with a damaged snapshot: %v\n%s", err, out)
	}
	if !strings.Contains(out, "checkpoint unusable, trying an older one") || !strings.Contains(out, newest) {
		t.Errorf("the restart does not say it skipped %s:\n%s", newest, out)
	}
	if total, acked := countsAndAcked(t, y); total != acked {
		t.Errorf("state counts %d records, the source acknowledged %d\n%s", total, acked, out)
	}
}

// TestIntegrationDamagedWALSegment: a committed WAL segment on HDFS is
// truncated in the middle; the restart stops with one line naming the
// segment, its records and the key that skips it; with that key the next
// run completes, reports the skipped records, and counts everything else
// (issue 11, item 7).
func TestIntegrationDamagedWALSegment(t *testing.T) {
	y := yarntest.New(t)
	// Shorter than the snapshot interval: the restart recomputes the state
	// from every batch's blocks, read back from the WAL.
	if out, err := reliableRun(t, y, "4s"); err != nil {
		t.Fatalf("first run: %v\n%s", err, out)
	}
	segs := list(t, y, "checkpoint/receivedData/0")
	if len(segs) < 3 {
		t.Fatalf("the first run wrote %d WAL segments, want a few", len(segs))
	}
	seg := path.Join(y.Path("checkpoint/receivedData/0"), segs[len(segs)/2])
	damage(t, y, seg)

	out, err := reliableRun(t, y, "4s")
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 {
		t.Fatalf("restart with a damaged WAL segment: %v, want a non-zero exit\n%s", err, out)
	}
	var final string
	for line := range strings.SplitSeq(out, "\n") {
		if strings.HasPrefix(line, "gostream:") {
			final = line
		}
	}
	if !strings.Contains(final, seg) || !strings.Contains(final, "block of 20 records") ||
		!strings.Contains(final, "writeAheadLog.skipDamaged=true") || strings.Contains(final, "nothing in it was acknowledged") {
		t.Errorf("the final error does not name the segment, its records and the way forward:\n%s\n\nall output:\n%s", final, out)
	}

	out, err = reliableRun(t, y, "4s", "GOSTREAM_STREAMING_RECEIVER_WRITEAHEADLOG_SKIPDAMAGED=true")
	if err != nil {
		t.Fatalf("run with skipDamaged: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`level=ERROR msg="receiver write-ahead log: skipped a damaged block" segment=(\S+) .*records=(\d+)`).FindStringSubmatch(out)
	if m == nil || m[1] != seg {
		t.Fatalf("no ERROR line reporting the skipped block of %s:\n%s", seg, out)
	}
	skipped, _ := strconv.Atoi(m[2])
	if total, acked := countsAndAcked(t, y); total != acked-skipped {
		t.Errorf("state counts %d records; the source acknowledged %d, %d were skipped\n%s", total, acked, skipped, out)
	}
}
