//go:build integration

package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
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

	"github.com/gostream/gostream/client"
	"github.com/gostream/gostream/hdfsstore"
	"github.com/gostream/gostream/internal/hadoopconf"
	"github.com/gostream/gostream/testcluster"
)

// These tests submit examples/filestream to the test cluster's YARN with
// gostream-submit (in-process), and inject faults with the testcluster
// harness: killed application masters, executors and NodeManagers.

var (
	filestreamOnce sync.Once
	filestreamPath string
	filestreamErr  error
)

// filestreamApp builds examples/filestream as YARN runs it (no cgo).
func filestreamApp(t *testing.T) string {
	t.Helper()
	filestreamOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gostream-yarn-it-")
		if err != nil {
			filestreamErr = err
			return
		}
		filestreamPath = filepath.Join(dir, "filestream")
		cmd := exec.Command("go", "build", "-o", filestreamPath, "../../examples/filestream")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			filestreamErr = fmt.Errorf("%v\n%s", err, out)
		}
	})
	if filestreamErr != nil {
		t.Fatalf("build examples/filestream: %v", filestreamErr)
	}
	return filestreamPath
}

// yarnIT is one test's view of the cluster: RM and HDFS clients and a
// private HDFS directory.
type yarnIT struct {
	t    *testing.T
	tc   *testcluster.Cluster
	rm   *client.Client
	fsys hdfsstore.FS
	dir  string // the test's HDFS directory (absolute path)
}

func newYarnIT(t *testing.T) *yarnIT {
	tc := testcluster.Get(t)
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
	dir := fmt.Sprintf("/gostream-it/%s-%d", strings.ReplaceAll(t.Name(), "/", "_"), time.Now().UnixNano())
	if err := fsys.MkdirAll(ctx, dir+"/in", 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !t.Failed() {
			_ = fsys.RemoveAll(context.Background(), dir)
		}
	})
	return &yarnIT{t: t, tc: tc, rm: rm, fsys: fsys, dir: dir}
}

func (y *yarnIT) url(p string) string { return y.tc.NameNodeURI() + p }

// yarnApp is an application gostream-submit submitted and follows.
type yarnApp struct {
	y      *yarnIT
	id     client.ApplicationID
	stderr *syncBuffer
	done   chan int // gostream-submit's exit status
}

var submittedRE = regexp.MustCompile(`submitted (application_\d+_\d+)`)

// submit runs gostream-submit --master yarn --deploy-mode cluster with args
// (options, then the application and its arguments) and waits until the
// application is submitted.
func (y *yarnIT) submit(args ...string) *yarnApp {
	y.t.Helper()
	a := &yarnApp{y: y, stderr: &syncBuffer{}, done: make(chan int, 1)}
	argv := append([]string{"--master", "yarn", "--deploy-mode", "cluster", "--driver-memory", "256m",
		"--executor-memory", "256m", "--conf", "gostream.yarn.report.interval=500ms"}, args...)
	environ := append(cleanEnviron(), "HADOOP_CONF_DIR="+y.tc.HadoopConfDir)
	go func() { a.done <- submit(argv, environ, stdio{strings.NewReader(""), io.Discard, a.stderr}, noSignals) }()
	deadline := time.Now().Add(time.Minute)
	for {
		if m := submittedRE.FindStringSubmatch(a.stderr.String()); m != nil {
			id, err := client.ParseApplicationID(m[1])
			if err != nil {
				y.t.Fatal(err)
			}
			a.id = id
			break
		}
		select {
		case status := <-a.done:
			y.t.Fatalf("gostream-submit exited %d before submitting:\n%s", status, a.stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			y.t.Fatalf("not submitted after a minute:\n%s", a.stderr.String())
		}
	}
	y.t.Logf("submitted %s", a.id)
	y.t.Cleanup(func() {
		if y.t.Failed() {
			a.dumpLogs()
		}
		_, _ = y.rm.KillApplication(context.Background(), a.id, "test cleanup")
	})
	return a
}

// wait waits for gostream-submit to exit and returns its status.
func (a *yarnApp) wait(timeout time.Duration) int {
	a.y.t.Helper()
	select {
	case status := <-a.done:
		a.y.t.Logf("gostream-submit exited %d:\n%s", status, a.stderr.String())
		return status
	case <-time.After(timeout):
		a.y.t.Fatalf("gostream-submit still following %s after %s:\n%s", a.id, timeout, a.stderr.String())
		return -1
	}
}

func (a *yarnApp) report() *client.ApplicationReport {
	a.y.t.Helper()
	ctx, cancel := context.WithTimeout(a.y.t.Context(), 30*time.Second)
	defer cancel()
	r, err := a.y.rm.ApplicationReport(ctx, a.id)
	if err != nil {
		a.y.t.Fatal(err)
	}
	return r
}

// waitRunning waits until attempt n (or a later one) is RUNNING: its AM has
// registered.
func (a *yarnApp) waitRunning(n int32, timeout time.Duration) *client.ApplicationReport {
	a.y.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		r := a.report()
		if r.State == client.StateRunning && r.CurrentAttempt.Attempt >= n {
			return r
		}
		if r.State.Terminal() {
			a.y.t.Fatalf("%s ended %s (%s) while waiting for attempt %d: %s", a.id, r.State, r.FinalStatus, n, r.Diagnostics)
		}
		if time.Now().After(deadline) {
			a.y.t.Fatalf("%s: attempt %d not RUNNING after %s (state %s, attempt %d)", a.id, n, timeout, r.State, r.CurrentAttempt.Attempt)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// amContainer is the AM container of the current attempt.
func (a *yarnApp) amContainer() string {
	r := a.report()
	return client.ContainerID{Attempt: r.CurrentAttempt, ID: 1}.String()
}

// killAM SIGKILLs the current attempt's application master and returns the
// attempt number it ran.
func (a *yarnApp) killAM() int32 {
	a.y.t.Helper()
	r := a.waitRunning(1, 2*time.Minute)
	id := client.ContainerID{Attempt: r.CurrentAttempt, ID: 1}.String()
	ctx, cancel := context.WithTimeout(a.y.t.Context(), 30*time.Second)
	defer cancel()
	nm, pids, err := a.y.tc.KillContainer(ctx, id)
	if err != nil {
		a.y.t.Fatal(err)
	}
	a.y.t.Logf("killed the AM of attempt %d (%s on %s, pids %v)", r.CurrentAttempt.Attempt, id, nm.Name, pids)
	return r.CurrentAttempt.Attempt
}

// logs is the text of every log file of the application's containers.
func (a *yarnApp) logs() string {
	cls, err := a.y.tc.ContainerLogs(a.id.String())
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for _, cl := range cls {
		for _, name := range []string{"stderr", "prelaunch.err"} {
			if f := cl.Files[name]; len(f) > 0 {
				fmt.Fprintf(&b, "==== %s %s (%s)\n%s\n", cl.ContainerID, name, cl.NodeManager, f)
			}
		}
	}
	return b.String()
}

func (a *yarnApp) dumpLogs() {
	a.y.t.Logf("gostream-submit:\n%s", a.stderr.String())
	logs := a.logs()
	if len(logs) > 20000 {
		logs = "…" + logs[len(logs)-20000:]
	}
	a.y.t.Logf("container logs of %s:\n%s", a.id, logs)
}

// waitLog waits until the application's container logs contain s.
func (a *yarnApp) waitLog(s string, timeout time.Duration) {
	a.y.t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(a.logs(), s) {
		if time.Now().After(deadline) {
			a.y.t.Fatalf("no %q in the container logs of %s after %s", s, a.id, timeout)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// stagingDir is the application's staging directory on HDFS.
func (a *yarnApp) stagingDir() string {
	return client.StagingDir("/user/"+a.y.rm.User(), a.id)
}

// putFile writes a text file into the watched directory atomically (a
// hidden name first, then a rename), as a file stream requires.
func (y *yarnIT) putFile(name, text string) {
	y.t.Helper()
	ctx, cancel := context.WithTimeout(y.t.Context(), time.Minute)
	defer cancel()
	tmp := path.Join(y.dir, "in", "."+name)
	if err := hdfsstore.WriteFileAtomic(ctx, y.fsys, tmp, []byte(text)); err != nil {
		y.t.Fatal(err)
	}
	if err := y.fsys.Rename(ctx, tmp, path.Join(y.dir, "in", name)); err != nil {
		y.t.Fatal(err)
	}
}

var countRE = regexp.MustCompile(`^\((.*),(\d+)\)$`)

// counts sums the word counts of every batch output (out/counts-TIME/part-*).
func (y *yarnIT) counts() map[string]int {
	y.t.Helper()
	ctx, cancel := context.WithTimeout(y.t.Context(), time.Minute)
	defer cancel()
	total := map[string]int{}
	outs, err := y.fsys.ReadDir(ctx, path.Join(y.dir, "out"))
	if errors.Is(err, fs.ErrNotExist) {
		return total
	}
	if err != nil {
		y.t.Fatal(err)
	}
	for _, o := range outs {
		if !o.IsDir() || !strings.HasPrefix(o.Name(), "counts-") {
			continue
		}
		parts, err := y.fsys.ReadDir(ctx, path.Join(y.dir, "out", o.Name()))
		if err != nil {
			y.t.Fatal(err)
		}
		for _, p := range parts {
			if !strings.HasPrefix(p.Name(), "part-") {
				continue
			}
			r, err := y.fsys.Open(ctx, path.Join(y.dir, "out", o.Name(), p.Name()))
			if err != nil {
				y.t.Fatal(err)
			}
			sc := bufio.NewScanner(r)
			for sc.Scan() {
				m := countRE.FindStringSubmatch(sc.Text())
				if m == nil {
					y.t.Fatalf("%s/%s: bad line %q", o.Name(), p.Name(), sc.Text())
				}
				n, _ := strconv.Atoi(m[2])
				total[m[1]] += n
			}
			r.Close()
		}
	}
	return total
}

// waitCounts waits until the outputs' totals equal want (and fails if they
// pass it: a duplicated batch).
func (y *yarnIT) waitCounts(want map[string]int, timeout time.Duration) {
	y.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := y.counts()
		if maps.Equal(got, want) {
			return
		}
		for w, n := range got {
			if n > want[w] {
				y.t.Fatalf("word %q counted %d times, want %d: a batch was duplicated or a file read twice\ngot  %v\nwant %v", w, n, want[w], got, want)
			}
		}
		if time.Now().After(deadline) {
			y.t.Fatalf("outputs after %s:\ngot  %v\nwant %v", timeout, got, want)
		}
		time.Sleep(time.Second)
	}
}

// words is a file's text and the counts it adds: every file has words of
// its own, so a file read twice or lost shows.
func words(name string, n int) (string, map[string]int) {
	var b strings.Builder
	add := map[string]int{}
	for i := range n {
		w := fmt.Sprintf("%s-%d", name, i%7)
		b.WriteString(w)
		b.WriteByte(' ')
		if i%5 == 4 {
			b.WriteByte('\n')
		}
		add[w]++
	}
	return b.String(), add
}

func addCounts(dst, src map[string]int) {
	for k, v := range src {
		dst[k] += v
	}
}

// filestreamArgs runs examples/filestream on the test's HDFS directories.
func (y *yarnIT) filestreamArgs(extra []string, appArgs ...string) []string {
	args := append([]string{"--conf", "gostream.streaming.checkpoint.directory=" + y.url(y.dir+"/checkpoint")}, extra...)
	args = append(args, filestreamApp(y.t), "-in", y.url(y.dir+"/in"), "-out", y.url(y.dir+"/out/counts"), "-batch", "1s")
	return append(args, appArgs...)
}

// TestIntegrationYarnFileStreamSurvivesAMKill submits the file-stream word
// count in cluster mode, kills its application master, and checks that the
// next attempt continues from the HDFS checkpoint: every file counted
// exactly once, including one that arrived while no AM ran; the application
// then stops by itself and ends SUCCEEDED, its staging directory removed.
func TestIntegrationYarnFileStreamSurvivesAMKill(t *testing.T) {
	y := newYarnIT(t)
	app := y.submit(y.filestreamArgs([]string{"--num-executors", "1", "--conf", "spark.yarn.maxAppAttempts=3"}, "-duration", "40s")...)
	app.waitRunning(1, 2*time.Minute)

	want := map[string]int{}
	for _, name := range []string{"a", "b"} {
		text, add := words(name, 100)
		y.putFile(name+".txt", text)
		addCounts(want, add)
	}
	y.waitCounts(want, time.Minute)
	app.waitLog("executor registered", time.Minute)

	attempt := app.killAM()
	text, add := words("during-downtime", 50)
	y.putFile("c.txt", text)
	addCounts(want, add)
	r := app.waitRunning(attempt+1, 2*time.Minute)
	t.Logf("attempt %d running, tracking URL %s", r.CurrentAttempt.Attempt, r.TrackingURL)
	text, add = words("d", 70)
	y.putFile("d.txt", text)
	addCounts(want, add)
	y.waitCounts(want, time.Minute)
	app.waitLog("recovering from checkpoint", time.Minute)

	if status := app.wait(2 * time.Minute); status != exitOK {
		t.Fatalf("gostream-submit exited %d, want 0", status)
	}
	if r := app.report(); r.FinalStatus != client.FinalSucceeded || r.CurrentAttempt.Attempt != attempt+1 {
		t.Errorf("final report: %s %s attempt %d, want FINISHED SUCCEEDED attempt %d", r.State, r.FinalStatus, r.CurrentAttempt.Attempt, attempt+1)
	}
	y.waitCounts(want, 0)
	if _, err := y.fsys.Stat(t.Context(), app.stagingDir()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("staging directory %s after the end: %v, want it removed", app.stagingDir(), err)
	}
}
