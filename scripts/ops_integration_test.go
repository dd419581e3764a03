//go:build integration

// Package scripts_test runs the operator scripts (gostream-start.sh,
// gostream-stop.sh, gostream-status.sh) against the test cluster: zero data
// loss through AM and executor kills, upgrades, and operators' mistakes.
package scripts_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gostream/gostream/am"
	"github.com/gostream/gostream/client"
	"github.com/gostream/gostream/hdfsstore"
	"github.com/gostream/gostream/internal/hadoopconf"
	"github.com/gostream/gostream/internal/yarnctl"
	"github.com/gostream/gostream/testcluster"
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// bins builds gostream, gostream-submit and examples/reliablecount (twice:
// the second with a changed output function, "reliablecount-kv") into one
// directory, as YARN runs them (no cgo).
func bins(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if binDir, buildErr = os.MkdirTemp("", "gostream-ops-it-"); buildErr != nil {
			return
		}
		for _, b := range [][]string{
			{"-o", binDir + "/", "../cmd/gostream", "../cmd/gostream-submit", "../examples/reliablecount"},
			{"-o", binDir + "/reliablecount-kv", "-ldflags", "-X main.outputFormat=kv", "../examples/reliablecount"},
		} {
			cmd := exec.Command("go", append([]string{"build"}, b...)...)
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go build %v: %v\n%s", b, err, out)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binDir
}

// opsIT is one test's cluster, clients and HDFS directory.
type opsIT struct {
	t    *testing.T
	tc   *testcluster.Cluster
	rm   *client.Client
	fsys hdfsstore.FS
	dir  string // the test's HDFS directory
	bin  string
}

func newOpsIT(t *testing.T) *opsIT {
	tc := testcluster.Get(t)
	bin := bins(t)
	hc, err := hadoopconf.Load(tc.HadoopConfDir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	rm, err := client.New(ctx, hc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rm.Close() })
	fsys, _, err := (&hdfsstore.Resolver{ConfDir: tc.HadoopConfDir}).ForPath(ctx, tc.NameNodeURI()+"/")
	if err != nil {
		t.Fatal(err)
	}
	dir := fmt.Sprintf("/gostream-it/%s-%d", t.Name(), time.Now().UnixNano())
	if err := fsys.MkdirAll(ctx, dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !t.Failed() {
			_ = fsys.RemoveAll(context.Background(), dir)
		}
	})
	return &opsIT{t: t, tc: tc, rm: rm, fsys: fsys, dir: dir, bin: bin}
}

func (o *opsIT) url(p string) string { return o.tc.NameNodeURI() + path.Join(o.dir, p) }

// script runs scripts/NAME with args and returns its exit status, stdout and
// stderr.
func (o *opsIT) script(env []string, name string, args ...string) (int, string, string) {
	o.t.Helper()
	cmd := exec.Command("./"+name, args...)
	cmd.Env = append(os.Environ(), "HADOOP_CONF_DIR="+o.tc.HadoopConfDir, "GOSTREAM_BIN="+o.bin)
	cmd.Env = append(cmd.Env, env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	status := 0
	if ee, ok := err.(*exec.ExitError); ok {
		status = ee.ExitCode()
	} else if err != nil {
		o.t.Fatal(err)
	}
	o.t.Logf("%s %s: exit %d\n%s%s", name, strings.Join(args, " "), status, out.String(), errOut.String())
	return status, strings.TrimSpace(out.String()), errOut.String()
}

// app is a reliable-count run: its marker and files.
type app struct {
	o                          *opsIT
	marker, acked, state, ckpt string
	id                         client.ApplicationID
}

func (o *opsIT) newApp(name string) *app {
	return &app{o: o, marker: o.url(name + ".marker"), acked: o.url(name + "/acked"), state: o.url(name + "/state"), ckpt: o.url(name + "/checkpoint")}
}

// start runs gostream-start.sh for the reliable count (binary bin) with
// extra options; it fails the test unless the start succeeds.
func (a *app) start(bin string, opts []string, appArgs ...string) {
	a.o.t.Helper()
	args := append([]string{"-m", a.marker, "--driver-memory", "256m", "--executor-memory", "256m",
		"--conf", "gostream.streaming.receiver.writeAheadLog.enable=true",
		"--conf", "gostream.streaming.checkpoint.directory=" + a.ckpt,
		"--conf", "gostream.streaming.stopMarker.pollInterval=1s"}, opts...)
	args = append(args, filepath.Join(a.o.bin, bin), "-acked", a.acked, "-out", a.state, "-rate", "400", "-chunk", "20")
	status, out, _ := a.o.script(nil, "gostream-start.sh", append(args, appArgs...)...)
	if status != 0 {
		a.o.t.Fatalf("gostream-start.sh exited %d", status)
	}
	id, err := client.ParseApplicationID(out)
	if err != nil {
		a.o.t.Fatalf("gostream-start.sh printed %q, not an application id", out)
	}
	a.id = id
	a.o.t.Cleanup(func() { _, _ = a.o.rm.KillApplication(context.Background(), id, "test cleanup") })
}

func (a *app) report() *client.ApplicationReport {
	a.o.t.Helper()
	ctx, cancel := context.WithTimeout(a.o.t.Context(), 30*time.Second)
	defer cancel()
	r, err := a.o.rm.ApplicationReport(ctx, a.id)
	if err != nil {
		a.o.t.Fatal(err)
	}
	return r
}

// waitRunning waits until attempt n (or later) has registered.
func (a *app) waitRunning(n int32) *client.ApplicationReport {
	a.o.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		r := a.report()
		switch {
		case r.State == client.StateRunning && r.CurrentAttempt.Attempt >= n:
			return r
		case r.State.Terminal():
			a.o.t.Fatalf("%s ended %s: %s", a.id, r.FinalStatus, r.Diagnostics)
		case time.Now().After(deadline):
			a.o.t.Fatalf("%s: attempt %d not RUNNING (%s, attempt %d)", a.id, n, r.State, r.CurrentAttempt.Attempt)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// waitEnd waits until the application has ended.
func (a *app) waitEnd() *client.ApplicationReport {
	a.o.t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if r := a.report(); r.State.Terminal() {
			return r
		} else if time.Now().After(deadline) {
			a.o.t.Fatalf("%s still %s", a.id, r.State)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// kill SIGKILLs container n (1: the AM) of the current attempt, once it
// runs.
func (a *app) kill(n int64) {
	a.o.t.Helper()
	r := a.waitRunning(1)
	id := client.ContainerID{Attempt: r.CurrentAttempt, ID: n}.String()
	deadline := time.Now().Add(time.Minute)
	for {
		ctx, cancel := context.WithTimeout(a.o.t.Context(), 30*time.Second)
		nm, _, err := a.o.tc.KillContainer(ctx, id)
		cancel()
		if err == nil {
			a.o.t.Logf("killed %s on %s", id, nm.Name)
			return
		}
		if !errors.Is(err, testcluster.ErrNotFound) || time.Now().After(deadline) {
			a.o.t.Fatal(err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// killReceiverExecutor SIGKILLs the executor running the receiver and waits
// until the receiver runs on another one.
func (a *app) killReceiverExecutor() {
	a.o.t.Helper()
	r := a.waitRunning(1)
	placed := func() (string, *am.Status) {
		deadline := time.Now().Add(time.Minute)
		for {
			st, err := yarnctl.DriverStatus(a.o.t.Context(), r.TrackingURL)
			if err == nil && len(st.ReceiverPlacements) > 0 {
				return st.ReceiverPlacements[0].Executor, st
			}
			if time.Now().After(deadline) {
				a.o.t.Fatalf("the receiver runs on no executor: %v", err)
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
	ctx, cancel := context.WithTimeout(a.o.t.Context(), 30*time.Second)
	defer cancel()
	if _, _, err := a.o.tc.KillContainer(ctx, container); err != nil {
		a.o.t.Fatal(err)
	}
	a.o.t.Logf("killed executor %s (%s), which ran the receiver", exec, container)
	deadline := time.Now().Add(time.Minute)
	for {
		if now, _ := placed(); now != exec {
			a.o.t.Logf("the receiver runs on executor %s now", now)
			return
		}
		if time.Now().After(deadline) {
			a.o.t.Fatalf("the receiver still runs on the killed executor %s", exec)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func (a *app) read(name string) string {
	a.o.t.Helper()
	ctx, cancel := context.WithTimeout(a.o.t.Context(), 30*time.Second)
	defer cancel()
	r, err := a.o.fsys.Open(ctx, strings.TrimPrefix(name, a.o.tc.NameNodeURI()))
	if err != nil {
		a.o.t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		a.o.t.Fatal(err)
	}
	return string(b)
}

var stateLine = regexp.MustCompile(`^(w\d+)[ =](\d+)$`)

// checkExactlyOnce compares the state with the acknowledged offset: every
// acknowledged record counted once (the source's words are w<i mod 100>).
// It returns the offset.
func (a *app) checkExactlyOnce(kv bool) int {
	a.o.t.Helper()
	n, err := strconv.Atoi(strings.TrimSpace(a.read(a.acked)))
	if err != nil {
		a.o.t.Fatal(err)
	}
	want := map[string]int{}
	for i := range n {
		want["w"+strconv.Itoa(i%100)]++
	}
	got := map[string]int{}
	for line := range strings.SplitSeq(strings.TrimSpace(a.read(a.state)), "\n") {
		m := stateLine.FindStringSubmatch(line)
		if m == nil || strings.Contains(line, "=") != kv {
			a.o.t.Fatalf("state line %q (kv format: %t)", line, kv)
		}
		got[m[1]], _ = strconv.Atoi(m[2])
	}
	if !maps.Equal(got, want) {
		total := 0
		for _, c := range got {
			total += c
		}
		a.o.t.Fatalf("%d records acknowledged, %d counted:\ngot  %v\nwant %v", n, total, got, want)
	}
	return n
}

// stop runs gostream-stop.sh and requires a graceful, SUCCEEDED end.
func (a *app) stop() {
	a.o.t.Helper()
	if status, _, _ := a.o.script(nil, "gostream-stop.sh", "-m", a.marker); status != 0 {
		a.o.t.Fatalf("gostream-stop.sh exited %d", status)
	}
	if r := a.report(); r.FinalStatus != client.FinalSucceeded {
		a.o.t.Fatalf("after gostream-stop.sh: %s %s", r.State, r.FinalStatus)
	}
}

// waitCounted waits until the source has acknowledged more than n records.
func (a *app) waitAcked(n int) {
	a.o.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		b, err := a.o.fsys.Open(a.o.t.Context(), strings.TrimPrefix(a.acked, a.o.tc.NameNodeURI()))
		if err == nil {
			v, _ := io.ReadAll(b)
			b.Close()
			if m, _ := strconv.Atoi(string(v)); m > n {
				return
			}
		}
		if time.Now().After(deadline) {
			a.o.t.Fatalf("the source acknowledged no more than %d records in a minute", n)
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
		a.waitRunning(int32(k + 1))
		wait := time.Duration(2000+rng.IntN(6000)) * time.Millisecond
		if d := time.Until(lastKill.Add(32 * time.Second)); d > wait {
			wait = d
		}
		time.Sleep(wait)
		a.kill(1)
		lastKill = time.Now()
	}
	a.waitRunning(4)
	a.waitAcked(0)
	a.killReceiverExecutor()
	if status, out, _ := o.script(nil, "gostream-status.sh", "-m", a.marker); status != 0 || !strings.Contains(out, "attempt:      4") || !strings.Contains(out, "last batch:") {
		t.Errorf("gostream-status.sh: %d\n%s", status, out)
	}
	a.stop()
	n := a.checkExactlyOnce(false)
	t.Logf("%d records acknowledged and counted exactly once through 3 AM kills and an executor kill", n)

	ctx := t.Context()
	if _, err := o.fsys.Stat(ctx, client.StagingDir("/user/"+o.rm.User(), a.id)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("staging directory after the stop: %v, want it removed", err)
	}
	segs, err := o.fsys.ReadDir(ctx, strings.TrimPrefix(a.ckpt, o.tc.NameNodeURI())+"/receivedData/0")
	if err != nil {
		t.Fatal(err)
	}
	end := a.report().FinishTime
	for _, s := range segs {
		m := segmentRE.FindStringSubmatch(s.Name())
		if m == nil {
			continue
		}
		ms, _ := strconv.ParseInt(m[2], 10, 64)
		if age := end.Sub(time.UnixMilli(ms)); age > 30*time.Second {
			t.Errorf("WAL segment %s is %s older than the end: it should have been cleaned", s.Name(), age.Round(time.Second))
		}
	}
	t.Logf("%d WAL segments left", len(segs))

	// A new start resumes from the checkpoint: the source goes on from the
	// logged offset, the state from the last one.
	a.start("reliablecount", []string{"--num-executors", "1"})
	a.waitRunning(1)
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
	a.waitRunning(1)
	a.waitAcked(200)
	a.stop()
	n := a.checkExactlyOnce(false)

	a.start("reliablecount-kv", []string{"--num-executors", "1"})
	a.waitRunning(1)
	a.waitAcked(n)
	a.stop()
	if n2 := a.checkExactlyOnce(true); n2 <= n {
		t.Errorf("the upgraded build did not continue: %d acknowledged, before %d", n2, n)
	}

	a.start("reliablecount-kv", []string{"--num-executors", "1"}, "-window")
	r := a.waitEnd()
	t.Logf("changed graph: %s %s: %s", r.State, r.FinalStatus, r.Diagnostics)
	for _, want := range []string{"graph", "gostream.streaming.checkpoint.onGraphChange=discard"} {
		if r.FinalStatus != client.FinalFailed || !strings.Contains(r.Diagnostics, want) {
			t.Errorf("a changed graph: %s, diagnostics lack %q: %s", r.FinalStatus, want, r.Diagnostics)
		}
	}
	if r.CurrentAttempt.Attempt != 1 {
		t.Errorf("a changed graph used %d attempts; it cannot succeed on another, want 1", r.CurrentAttempt.Attempt)
	}

	a.start("reliablecount-kv", []string{"--num-executors", "1", "--conf", "gostream.streaming.checkpoint.onGraphChange=discard"}, "-window")
	a.waitRunning(1)
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
	locked := path.Join(o.dir, "locked")
	if err := o.fsys.MkdirAll(t.Context(), locked, 0o755); err != nil {
		t.Fatal(err)
	}
	status, _, stderr = o.script([]string{"HADOOP_USER_NAME=nobody"}, "gostream-start.sh", "-m", o.tc.NameNodeURI()+locked+"/app.marker", filepath.Join(o.bin, "reliablecount"))
	if status != 1 || !strings.Contains(stderr, "ermission") {
		t.Errorf("a marker in an unwritable directory: %d %s", status, stderr)
	}
	if ents, err := o.fsys.ReadDir(t.Context(), locked); err != nil || len(ents) != 0 {
		t.Errorf("left behind in %s: %v %v", locked, ents, err)
	}

	// Another start holds the lock.
	w, err := o.fsys.Create(t.Context(), strings.TrimPrefix(a.marker, o.tc.NameNodeURI())+".lock")
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
	if err := o.fsys.Remove(t.Context(), strings.TrimPrefix(a.marker, o.tc.NameNodeURI())+".lock"); err != nil {
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
				filepath.Join(o.bin, "reliablecount"), "-acked", a.acked, "-out", a.state)
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
	if a.id, err = client.ParseApplicationID(outs[won]); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = o.rm.KillApplication(context.Background(), a.id, "test cleanup") })
	a.waitRunning(1)
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
		if r := a.report(); r.State != client.StateKilled {
			t.Errorf("after --force: %s", r.State)
		}
	case 0: // it finished stopping gracefully in time after all
	default:
		t.Errorf("a forced stop exited %d, want 5 (killed) or 0", status)
	}
	a.waitEnd()
	if _, err := o.fsys.Stat(t.Context(), client.StagingDir("/user/"+o.rm.User(), a.id)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("staging directory after the stop: %v, want it removed", err)
	}
	if status, _, stderr := o.script(nil, "gostream-stop.sh", "-m", a.marker); status != 3 || !strings.Contains(stderr, "not running") {
		t.Errorf("stopping an application that ended: %d %s", status, stderr)
	}
}
