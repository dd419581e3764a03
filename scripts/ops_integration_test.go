//go:build integration

// Package scripts_test runs the operator scripts (gostream-start.sh,
// gostream-stop.sh, gostream-status.sh) against the test cluster: zero data
// loss through AM and executor kills, upgrades, and operators' mistakes.
package scripts_test

import (
	"bytes"
	"context"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gostream/gostream/internal/yarn"
	"github.com/gostream/gostream/internal/yarnctl"
	"github.com/gostream/gostream/internal/yarntest"
	"github.com/gostream/gostream/ui"
)

// bins builds gostream, gostream-submit and examples/reliablecount (twice:
// the second with a changed output function, "reliablecount-kv") into one
// directory, as YARN runs them, and returns it.
func bins(t testing.TB) string {
	yarntest.Build(t, "../cmd/gostream", "gostream")
	yarntest.Build(t, "../cmd/gostream-submit", "gostream-submit")
	yarntest.Build(t, "../examples/reliablecount", "reliablecount-kv", "-ldflags", "-X main.outputFormat=kv")
	return filepath.Dir(yarntest.Build(t, "../examples/reliablecount", "reliablecount"))
}

// opsIT is one test's view of the cluster, with the binaries' directory.
type opsIT struct {
	*yarntest.Env
	bin string
}

func newOpsIT(t *testing.T) *opsIT { return &opsIT{Env: yarntest.New(t), bin: bins(t)} }

// script runs scripts/NAME with args and returns its exit status, stdout and
// stderr.
func (o *opsIT) script(env []string, name string, args ...string) (int, string, string) {
	o.T.Helper()
	cmd := exec.Command("./"+name, args...)
	cmd.Env = append(os.Environ(), "HADOOP_CONF_DIR="+o.Cluster.HadoopConfDir, "GOSTREAM_BIN="+o.bin)
	cmd.Env = append(cmd.Env, env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	status := 0
	if ee, ok := err.(*exec.ExitError); ok {
		status = ee.ExitCode()
	} else if err != nil {
		o.T.Fatal(err)
	}
	o.T.Logf("%s %s: exit %d\n%s%s", name, strings.Join(args, " "), status, out.String(), errOut.String())
	return status, strings.TrimSpace(out.String()), errOut.String()
}

// app is a reliable-count run: its marker and files.
type app struct {
	*yarntest.App
	o            *opsIT
	marker, ckpt string // URLs
	acked, state string // paths relative to the test's directory
}

func (o *opsIT) newApp(name string) *app {
	return &app{App: &yarntest.App{Env: o.Env}, o: o, marker: o.URL(name + ".marker"), acked: name + "/acked", state: name + "/state", ckpt: o.URL(name + "/checkpoint")}
}

// start runs gostream-start.sh for the reliable count (binary bin) with
// extra options; it fails the test unless the start succeeds.
func (a *app) start(bin string, opts []string, appArgs ...string) {
	a.Env.T.Helper()
	args := append([]string{"-m", a.marker, "--driver-memory", "256m", "--executor-memory", "256m",
		"--conf", "gostream.streaming.receiver.writeAheadLog.enable=true",
		"--conf", "gostream.streaming.checkpoint.directory=" + a.ckpt,
		"--conf", "gostream.streaming.stopMarker.pollInterval=1s"}, opts...)
	args = append(args, filepath.Join(a.o.bin, bin), "-acked", a.o.URL(a.acked), "-out", a.o.URL(a.state), "-rate", "400", "-chunk", "20")
	status, out, _ := a.o.script(nil, "gostream-start.sh", append(args, appArgs...)...)
	if status != 0 {
		a.Env.T.Fatalf("gostream-start.sh exited %d", status)
	}
	id, err := yarn.ParseApplicationID(out)
	if err != nil {
		a.Env.T.Fatalf("gostream-start.sh printed %q, not an application id", out)
	}
	a.ID = id
	(&yarntest.App{Env: a.Env, ID: id}).DumpLogsOnFailure()
}

// killReceiverExecutor SIGKILLs the executor running the receiver and waits
// until the receiver runs on another one.
func (a *app) killReceiverExecutor() {
	a.Env.T.Helper()
	r := a.WaitRunning(1, 2*time.Minute)
	placed := func() (string, *ui.Status) {
		deadline := time.Now().Add(time.Minute)
		for {
			st, err := yarnctl.DriverStatus(a.Env.T.Context(), r.TrackingURL)
			if err == nil && len(st.ReceiverPlacements) > 0 {
				return st.ReceiverPlacements[0].Executor, st
			}
			if time.Now().After(deadline) {
				a.Env.T.Fatalf("the receiver runs on no executor: %v", err)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	exec, st := placed()
	var container string
	for _, e := range st.Executors {
		if e.ID == exec {
			container = e.Container
		}
	}
	ctx, cancel := context.WithTimeout(a.Env.T.Context(), 30*time.Second)
	defer cancel()
	if _, _, err := a.Env.Cluster.KillContainer(ctx, container); err != nil {
		a.Env.T.Fatal(err)
	}
	a.Env.T.Logf("killed executor %s (%s), which ran the receiver", exec, container)
	deadline := time.Now().Add(time.Minute)
	for {
		if now, _ := placed(); now != exec {
			a.Env.T.Logf("the receiver runs on executor %s now", now)
			return
		}
		if time.Now().After(deadline) {
			a.Env.T.Fatalf("the receiver still runs on the killed executor %s", exec)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

var stateLine = regexp.MustCompile(`^(w\d+)[ =](\d+)$`)

// checkExactlyOnce compares the state with the acknowledged offset: every
// acknowledged record counted once (the source's words are w<i mod 100>).
// It returns the offset.
func (a *app) checkExactlyOnce(kv bool) int {
	a.Env.T.Helper()
	n, err := strconv.Atoi(strings.TrimSpace(a.read(a.acked)))
	if err != nil {
		a.Env.T.Fatal(err)
	}
	want := map[string]int{}
	for i := range n {
		want["w"+strconv.Itoa(i%100)]++
	}
	got := map[string]int{}
	for line := range strings.SplitSeq(strings.TrimSpace(a.read(a.state)), "\n") {
		m := stateLine.FindStringSubmatch(line)
		if m == nil || strings.Contains(line, "=") != kv {
			a.Env.T.Fatalf("state line %q (kv format: %t)", line, kv)
		}
		got[m[1]], _ = strconv.Atoi(m[2])
	}
	if !maps.Equal(got, want) {
		total := 0
		for _, c := range got {
			total += c
		}
		a.Env.T.Fatalf("%d records acknowledged, %d counted:\ngot  %v\nwant %v", n, total, got, want)
	}
	return n
}

// stop runs gostream-stop.sh and requires a graceful, SUCCEEDED end.
func (a *app) stop() {
	a.Env.T.Helper()
	if status, _, _ := a.o.script(nil, "gostream-stop.sh", "-m", a.marker); status != 0 {
		a.Env.T.Fatalf("gostream-stop.sh exited %d", status)
	}
	if r := a.Report(); r.FinalStatus != yarn.FinalSucceeded {
		a.Env.T.Fatalf("after gostream-stop.sh: %s %s", r.State, r.FinalStatus)
	}
}

// read returns the contents of p, relative to the test's directory.
func (a *app) read(p string) string {
	a.Env.T.Helper()
	s, err := a.Env.ReadFile(p)
	if err != nil {
		a.Env.T.Fatal(err)
	}
	return s
}

// waitAcked waits until the source has acknowledged more than n records.
func (a *app) waitAcked(n int) {
	a.Env.T.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		if v, err := a.Env.ReadFile(a.acked); err == nil {
			if m, _ := strconv.Atoi(v); m > n {
				return
			}
		}
		if time.Now().After(deadline) {
			a.Env.T.Fatalf("the source acknowledged no more than %d records in a minute", n)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

var segmentRE = regexp.MustCompile(`^recv-\d+-(\d+)-(\d+)-\d+\.wal$`)

// TestIntegrationZeroLossUnderAMKills is the production story end to end:
// start with gostream-start.sh; kill the AM three times at random moments,
// spaced past the 30 s validity interval (maxAppAttempts=2), and one
// executor; stop with gostream-stop.sh. The state counts every record the
// source had acknowledged exactly once, the application ends SUCCEEDED, no
// staging files and no old WAL segments are left; a new start resumes from
// the checkpoint.
func TestIntegrationZeroLossUnderAMKills(t *testing.T) {
	o := newOpsIT(t)
	a := o.newApp("rc")
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	a.start("reliablecount", []string{"--num-executors", "2", "--conf", "spark.yarn.maxAppAttempts=2",
		"--conf", "spark.yarn.am.attemptFailuresValidityInterval=30s"})
	var lastKill time.Time
	for k := range 3 {
		a.WaitRunning(int32(k+1), 2*time.Minute)
		wait := time.Duration(2000+rng.IntN(6000)) * time.Millisecond
		if d := time.Until(lastKill.Add(32 * time.Second)); d > wait {
			wait = d
		}
		time.Sleep(wait)
		a.KillAM()
		lastKill = time.Now()
	}
	a.WaitRunning(4, 2*time.Minute)
	a.waitAcked(0)
	a.killReceiverExecutor()
	if status, out, _ := o.script(nil, "gostream-status.sh", "-m", a.marker); status != 0 || !strings.Contains(out, "attempt:      4") || !strings.Contains(out, "last batch:") {
		t.Errorf("gostream-status.sh: %d\n%s", status, out)
	}
	a.stop()
	n := a.checkExactlyOnce(false)
	t.Logf("%d records acknowledged and counted exactly once through 3 AM kills and an executor kill", n)

	ctx := t.Context()
	o.StagingRemoved(a.ID)
	segs, err := o.FS.ReadDir(ctx, strings.TrimPrefix(a.ckpt, o.Cluster.NameNodeURI())+"/receivedData/0")
	if err != nil {
		t.Fatal(err)
	}
	// What a restart may still need: the 10 retained checkpoints (10 s of
	// 1 s batches), the state's checkpoint interval before the oldest of
	// them (10 s) and a batch plus the cleanup's slack; 40 s bounds that
	// with room to spare, while the run lasted over 100 s.
	const kept = 40 * time.Second
	var ends []time.Time
	newest := time.Time{}
	for _, s := range segs {
		if m := segmentRE.FindStringSubmatch(s.Name()); m != nil {
			ms, _ := strconv.ParseInt(m[2], 10, 64)
			ends = append(ends, time.UnixMilli(ms))
			if ends[len(ends)-1].After(newest) {
				newest = ends[len(ends)-1]
			}
		}
	}
	if len(ends) == 0 {
		t.Fatal("no WAL segments: was the write-ahead log on?")
	}
	for _, e := range ends {
		if age := newest.Sub(e); age > kept {
			t.Errorf("a WAL segment ends %s before the newest: it should have been cleaned", age.Round(time.Second))
		}
	}
	t.Logf("%d WAL segments left, spanning %s", len(ends), newest.Sub(slices.MinFunc(ends, time.Time.Compare)).Round(time.Second))

	// A new start resumes from the checkpoint: the source goes on from the
	// logged offset, the state from the last one.
	a.start("reliablecount", []string{"--num-executors", "1"})
	a.WaitRunning(1, 2*time.Minute)
	a.waitAcked(n)
	a.stop()
	if n2 := a.checkExactlyOnce(false); n2 <= n {
		t.Errorf("after the restart %d records acknowledged, want more than %d", n2, n)
	}
}

// TestIntegrationUpgradePath: a graceful stop, then a build with a changed
// output function but the same graph recovers from the old checkpoint; a
// changed graph fails with the clear error, then starts cleanly with the
// documented discard option.
func TestIntegrationUpgradePath(t *testing.T) {
	o := newOpsIT(t)
	a := o.newApp("up")
	a.start("reliablecount", []string{"--num-executors", "1"})
	a.WaitRunning(1, 2*time.Minute)
	a.waitAcked(200)
	a.stop()
	n := a.checkExactlyOnce(false)

	a.start("reliablecount-kv", []string{"--num-executors", "1"})
	a.WaitRunning(1, 2*time.Minute)
	a.waitAcked(n)
	a.stop()
	if n2 := a.checkExactlyOnce(true); n2 <= n {
		t.Errorf("the upgraded build did not continue: %d acknowledged, before %d", n2, n)
	}

	a.start("reliablecount-kv", []string{"--num-executors", "1"}, "-window")
	r := a.WaitEnd(3 * time.Minute)
	t.Logf("changed graph: %s %s: %s", r.State, r.FinalStatus, r.Diagnostics)
	for _, want := range []string{"graph", "gostream.streaming.checkpoint.onGraphChange=discard"} {
		if r.FinalStatus != yarn.FinalFailed || !strings.Contains(r.Diagnostics, want) {
			t.Errorf("a changed graph: %s, diagnostics lack %q: %s", r.FinalStatus, want, r.Diagnostics)
		}
	}
	if r.CurrentAttempt.Attempt != 1 {
		t.Errorf("a changed graph used %d attempts; it cannot succeed on another, want 1", r.CurrentAttempt.Attempt)
	}

	a.start("reliablecount-kv", []string{"--num-executors", "1", "--conf", "gostream.streaming.checkpoint.onGraphChange=discard"}, "-window")
	a.WaitRunning(1, 2*time.Minute)
	a.waitAcked(0)
	a.stop()
}

// TestIntegrationScriptsBadInput: operators' mistakes get clear messages and
// non-zero exits, and leave nothing half-done.
func TestIntegrationScriptsBadInput(t *testing.T) {
	o := newOpsIT(t)
	a := o.newApp("bad")

	status, _, stderr := o.script(nil, "gostream-stop.sh", "-m", a.marker)
	if status != 3 || !strings.Contains(stderr, "no application recorded") {
		t.Errorf("stopping what was never started: %d %s", status, stderr)
	}
	if status, _, stderr := o.script(nil, "gostream-start.sh", "-m", a.marker); status != 2 || !strings.Contains(stderr, "no application given") {
		t.Errorf("start without an application: %d %s", status, stderr)
	}

	// A marker in a directory the user cannot write.
	locked := path.Join(o.Dir, "locked")
	if err := o.FS.MkdirAll(t.Context(), locked, 0o755); err != nil {
		t.Fatal(err)
	}
	status, _, stderr = o.script([]string{"HADOOP_USER_NAME=nobody"}, "gostream-start.sh", "-m", o.Cluster.NameNodeURI()+locked+"/app.marker", filepath.Join(o.bin, "reliablecount"))
	if status != 1 || !strings.Contains(stderr, "ermission") {
		t.Errorf("a marker in an unwritable directory: %d %s", status, stderr)
	}
	if ents, err := o.FS.ReadDir(t.Context(), locked); err != nil || len(ents) != 0 {
		t.Errorf("left behind in %s: %v %v", locked, ents, err)
	}

	// A marker in a directory that does not exist.
	status, _, stderr = o.script(nil, "gostream-start.sh", "-m", o.Cluster.NameNodeURI()+path.Join(o.Dir, "nonesuch")+"/app.marker", filepath.Join(o.bin, "reliablecount"))
	if status != 1 || !strings.Contains(stderr, "nonesuch does not exist") {
		t.Errorf("a marker in a missing directory: %d %s", status, stderr)
	}

	// Another start holds the lock.
	w, err := o.FS.Create(t.Context(), strings.TrimPrefix(a.marker, o.Cluster.NameNodeURI())+".lock")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte("otherhost pid 1"))
	if err := w.Commit(t.Context()); err != nil {
		t.Fatal(err)
	}
	status, _, stderr = o.script(nil, "gostream-start.sh", "-m", a.marker, filepath.Join(o.bin, "reliablecount"))
	if status != 4 || !strings.Contains(stderr, "otherhost pid 1") {
		t.Errorf("start while another holds the lock: %d %s", status, stderr)
	}
	if err := o.FS.Remove(t.Context(), strings.TrimPrefix(a.marker, o.Cluster.NameNodeURI())+".lock"); err != nil {
		t.Fatal(err)
	}

	// Two starts racing: one wins, the other is refused.
	var wg sync.WaitGroup
	statuses := make([]int, 2)
	outs := make([]string, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i], outs[i], _ = o.script(nil, "gostream-start.sh", "-m", a.marker, "--driver-memory", "256m", "--num-executors", "1",
				"--conf", "gostream.streaming.receiver.writeAheadLog.enable=true", "--conf", "gostream.streaming.checkpoint.directory="+a.ckpt,
				filepath.Join(o.bin, "reliablecount"), "-acked", o.URL(a.acked), "-out", o.URL(a.state))
		}()
	}
	wg.Wait()
	won := -1
	for i, s := range statuses {
		if s == 0 {
			won = i
		} else if s != 3 && s != 4 {
			t.Errorf("a racing start exited %d, want 0, 3 or 4", s)
		}
	}
	if won < 0 || statuses[1-won] == 0 {
		t.Fatalf("racing starts: %v, want exactly one to succeed", statuses)
	}
	if a.ID, err = yarn.ParseApplicationID(outs[won]); err != nil {
		t.Fatal(err)
	}
	a.DumpLogsOnFailure()
	a.WaitRunning(1, 2*time.Minute)
	if status, _, stderr := o.script(nil, "gostream-start.sh", "-m", a.marker, filepath.Join(o.bin, "reliablecount")); status != 3 || !strings.Contains(stderr, "stop it first") {
		t.Errorf("a second copy: %d %s", status, stderr)
	}

	// A stop that times out, then one that forces.
	status, _, stderr = o.script(nil, "gostream-stop.sh", "-m", a.marker, "-t", "1")
	if status != 4 || !strings.Contains(stderr, "--force") {
		t.Errorf("a stop that times out: %d %s", status, stderr)
	}
	status, _, _ = o.script(nil, "gostream-stop.sh", "-m", a.marker, "-t", "1", "--force")
	switch status {
	case 5:
		if r := a.Report(); r.State != yarn.StateKilled {
			t.Errorf("after --force: %s", r.State)
		}
	case 0: // it finished stopping gracefully in time after all
	default:
		t.Errorf("a forced stop exited %d, want 5 (killed) or 0", status)
	}
	a.WaitEnd(3 * time.Minute)
	o.StagingRemoved(a.ID)
	if status, _, stderr := o.script(nil, "gostream-stop.sh", "-m", a.marker); status != 3 || !strings.Contains(stderr, "not running") {
		t.Errorf("stopping an application that ended: %d %s", status, stderr)
	}
}
