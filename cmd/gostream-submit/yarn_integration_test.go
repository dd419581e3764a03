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
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gostream/gostream/client"
	"github.com/gostream/gostream/hdfsstore"
	"github.com/gostream/gostream/internal/yarn"
	"github.com/gostream/gostream/internal/yarnctl"
	"github.com/gostream/gostream/internal/yarntest"
	"github.com/gostream/gostream/ui"
)

// These tests submit examples/filestream to the test cluster's YARN with
// gostream-submit (in-process), and inject faults with the testcluster
// harness: killed application masters, executors and NodeManagers.

// yarnIT is one test's view of the cluster, with the file-stream word
// count's input directory.
type yarnIT struct{ *yarntest.Env }

func newYarnIT(t testing.TB) *yarnIT {
	e := yarntest.New(t)
	if err := e.FS.MkdirAll(t.Context(), e.Path("in"), 0o755); err != nil {
		t.Fatal(err)
	}
	return &yarnIT{e}
}

// exampleApp builds examples/NAME as YARN runs it.
func exampleApp(t testing.TB, name string) string {
	return yarntest.Build(t, "../../examples/"+name, name)
}

func filestreamApp(t testing.TB) string { return exampleApp(t, "filestream") }

// yarnApp is an application gostream-submit submitted and follows.
type yarnApp struct {
	*yarntest.App
	stderr *syncBuffer
	done   chan int // gostream-submit's exit status
}

var submittedRE = regexp.MustCompile(`submitted (application_\d+_\d+)`)

// submit runs gostream-submit --master yarn --deploy-mode cluster with args
// (options, then the application and its arguments) and waits until the
// application is submitted.
func (y *yarnIT) submit(args ...string) *yarnApp {
	y.T.Helper()
	a := &yarnApp{stderr: &syncBuffer{}, done: make(chan int, 1)}
	argv := append([]string{"--master", "yarn", "--deploy-mode", "cluster", "--driver-memory", "256m",
		"--executor-memory", "256m", "--conf", "gostream.yarn.report.interval=500ms"}, args...)
	go func() {
		a.done <- submit(argv, y.environ(), stdio{strings.NewReader(""), io.Discard, a.stderr}, noSignals)
	}()
	deadline := time.Now().Add(time.Minute)
	for a.App == nil {
		if m := submittedRE.FindStringSubmatch(a.stderr.String()); m != nil {
			id, err := yarn.ParseApplicationID(m[1])
			if err != nil {
				y.T.Fatal(err)
			}
			a.App = &yarntest.App{Env: y.Env, ID: id}
			break
		}
		select {
		case status := <-a.done:
			y.T.Fatalf("gostream-submit exited %d before submitting:\n%s", status, a.stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			y.T.Fatalf("not submitted after a minute:\n%s", a.stderr.String())
		}
	}
	y.T.Logf("submitted %s", a.ID)
	a.DumpLogsOnFailure()
	y.T.Cleanup(func() {
		if y.T.Failed() {
			y.T.Logf("gostream-submit:\n%s", a.stderr.String())
		}
	})
	return a
}

// environ is gostream-submit's environment for the test cluster.
func (y *yarnIT) environ() []string {
	return append(cleanEnviron(), "HADOOP_CONF_DIR="+y.Cluster.HadoopConfDir)
}

// wait waits for gostream-submit to exit and returns its status.
func (a *yarnApp) wait(timeout time.Duration) int {
	a.Env.T.Helper()
	select {
	case status := <-a.done:
		a.Env.T.Logf("gostream-submit exited %d:\n%s", status, a.stderr.String())
		return status
	case <-time.After(timeout):
		a.Env.T.Fatalf("gostream-submit still following %s after %s:\n%s", a.ID, timeout, a.stderr.String())
		return -1
	}
}

// putFile writes a text file into the watched directory atomically (a
// hidden name first, then a rename), as a file stream requires.
func (y *yarnIT) putFile(name, text string) {
	y.T.Helper()
	ctx, cancel := context.WithTimeout(y.T.Context(), time.Minute)
	defer cancel()
	tmp := path.Join(y.Dir, "in", "."+name)
	if err := hdfsstore.WriteFileAtomic(ctx, y.FS, tmp, []byte(text)); err != nil {
		y.T.Fatal(err)
	}
	if err := y.FS.Rename(ctx, tmp, path.Join(y.Dir, "in", name)); err != nil {
		y.T.Fatal(err)
	}
}

var countRE = regexp.MustCompile(`^\((.*),(\d+)\)$`)

// counts sums the word counts of every batch output (out/counts-TIME/part-*).
func (y *yarnIT) counts() map[string]int {
	y.T.Helper()
	ctx, cancel := context.WithTimeout(y.T.Context(), time.Minute)
	defer cancel()
	total := map[string]int{}
	outs, err := y.FS.ReadDir(ctx, path.Join(y.Dir, "out"))
	if errors.Is(err, fs.ErrNotExist) {
		return total
	}
	if err != nil {
		y.T.Fatal(err)
	}
	for _, o := range outs {
		if !o.IsDir() || !strings.HasPrefix(o.Name(), "counts-") {
			continue
		}
		parts, err := y.FS.ReadDir(ctx, path.Join(y.Dir, "out", o.Name()))
		if err != nil {
			y.T.Fatal(err)
		}
		for _, p := range parts {
			if !strings.HasPrefix(p.Name(), "part-") {
				continue
			}
			r, err := y.FS.Open(ctx, path.Join(y.Dir, "out", o.Name(), p.Name()))
			if err != nil {
				y.T.Fatal(err)
			}
			sc := bufio.NewScanner(r)
			for sc.Scan() {
				m := countRE.FindStringSubmatch(sc.Text())
				if m == nil {
					y.T.Fatalf("%s/%s: bad line %q", o.Name(), p.Name(), sc.Text())
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
	y.T.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := y.counts()
		if maps.Equal(got, want) {
			return
		}
		for w, n := range got {
			if n > want[w] {
				y.T.Fatalf("word %q counted %d times, want %d: a batch was duplicated or a file read twice\ngot  %v\nwant %v", w, n, want[w], got, want)
			}
		}
		if time.Now().After(deadline) {
			y.T.Fatalf("outputs after %s:\ngot  %v\nwant %v", timeout, got, want)
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
	args := append([]string{"--conf", "gostream.streaming.checkpoint.directory=" + y.URL("checkpoint")}, extra...)
	args = append(args, filestreamApp(y.T), "-in", y.URL("in"), "-out", y.URL("out/counts"), "-batch", "1s")
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
	first := app.WaitRunning(1, 2*time.Minute)
	app.WaitLog("executor registered", time.Minute) // tasks run on the driver until then

	want := map[string]int{}
	for _, name := range []string{"a", "b"} {
		text, add := words(name, 100)
		y.putFile(name+".txt", text)
		addCounts(want, add)
	}
	y.waitCounts(want, time.Minute)
	if n := executorTasks(app.Status(first.TrackingURL)); n == 0 {
		t.Error("the executor ran no map task: the word count's shuffle ran on the driver")
	}

	attempt := app.KillAM()
	text, add := words("during-downtime", 50)
	y.putFile("c.txt", text)
	addCounts(want, add)
	r := app.WaitRunning(attempt+1, 2*time.Minute)
	t.Logf("attempt %d running, tracking URL %s", r.CurrentAttempt.Attempt, r.TrackingURL)
	if st := app.Status(r.TrackingURL); st.Attempt != int(attempt+1) || st.Application != app.ID.String() {
		t.Errorf("status page through the RM proxy: %+v", st)
	}
	text, add = words("d", 70)
	y.putFile("d.txt", text)
	addCounts(want, add)
	y.waitCounts(want, time.Minute)
	app.WaitLog("recovering from checkpoint", time.Minute)

	if status := app.wait(2 * time.Minute); status != exitOK {
		t.Fatalf("gostream-submit exited %d, want 0", status)
	}
	if r := app.Report(); r.FinalStatus != yarn.FinalSucceeded || r.CurrentAttempt.Attempt != attempt+1 {
		t.Errorf("final report: %s %s attempt %d, want FINISHED SUCCEEDED attempt %d", r.State, r.FinalStatus, r.CurrentAttempt.Attempt, attempt+1)
	}
	y.waitCounts(want, 0)
	y.StagingRemoved(app.ID)
}

// TestIntegrationYarnMaxAppAttempts: with maxAppAttempts=2, killing the AM
// twice fails the application, and YARN's diagnostics name the attempts.
func TestIntegrationYarnMaxAppAttempts(t *testing.T) {
	y := newYarnIT(t)
	app := y.submit(y.filestreamArgs([]string{"--num-executors", "1", "--conf", "spark.yarn.maxAppAttempts=2"})...)
	if a := app.KillAM(); a != 1 {
		t.Fatalf("killed attempt %d, want 1", a)
	}
	app.WaitRunning(2, 2*time.Minute)
	if a := app.KillAM(); a != 2 {
		t.Fatalf("killed attempt %d, want 2", a)
	}
	if status := app.wait(2 * time.Minute); status != exitStartFailed {
		t.Errorf("gostream-submit exited %d, want %d", status, exitStartFailed)
	}
	r := app.Report()
	if r.State != yarn.StateFailed || r.FinalStatus != yarn.FinalFailed {
		t.Fatalf("final report %s %s, want FAILED FAILED", r.State, r.FinalStatus)
	}
	if !strings.Contains(r.Diagnostics, "failed 2 times") || !strings.Contains(r.Diagnostics, "appattempt_") {
		t.Errorf("diagnostics do not name the attempts: %s", r.Diagnostics)
	}
	if !strings.Contains(app.stderr.String(), "attempt 2 started (attempt 1 ended)") {
		t.Errorf("gostream-submit did not report the second attempt:\n%s", app.stderr.String())
	}
}

// TestIntegrationYarnValidityInterval: with maxAppAttempts=2 and a 20 s
// attempt-failures validity interval, a failure older than 20 s is
// forgotten, so a third attempt runs; then --kill ends the application
// KILLED and removes its staging directory.
func TestIntegrationYarnValidityInterval(t *testing.T) {
	y := newYarnIT(t)
	app := y.submit(y.filestreamArgs([]string{"--num-executors", "1", "--conf", "spark.yarn.maxAppAttempts=2",
		"--conf", "spark.yarn.am.attemptFailuresValidityInterval=20s"})...)
	app.KillAM()
	killed := time.Now()
	app.WaitRunning(2, 2*time.Minute)
	time.Sleep(time.Until(killed.Add(25 * time.Second)))
	app.KillAM()
	r := app.WaitRunning(3, 2*time.Minute)
	t.Logf("attempt %d running after two AM kills 25 s apart", r.CurrentAttempt.Attempt)
	app.WaitLog("recovering from checkpoint", time.Minute)
	// What an AM at or past the maximum asks the RM before it calls itself
	// the last attempt: here attempt 1's failure is out of the interval.
	atts, err := y.RM.ApplicationAttempts(t.Context(), app.ID)
	if err != nil {
		t.Fatal(err)
	}
	var recent int
	for _, a := range atts {
		t.Logf("attempt %d: failed %t, ended %s ago: %.80s", a.ID.Attempt, a.Failed, time.Since(a.FinishTime).Round(time.Second), a.Diagnostics)
		if a.Failed && time.Since(a.FinishTime) < 20*time.Second {
			recent++
		}
	}
	if len(atts) != 3 || !atts[0].Failed || !atts[1].Failed || atts[2].Failed || !atts[2].FinishTime.IsZero() || recent > 1 {
		t.Errorf("the RM's attempts: %+v, want 2 failed (at most one within the interval) and the third running", atts)
	}

	var out, errOut syncBuffer
	environ := append(cleanEnviron(), "HADOOP_CONF_DIR="+y.Cluster.HadoopConfDir)
	status := submit([]string{"--kill", app.ID.String()}, environ, stdio{strings.NewReader(""), &out, &errOut}, noSignals)
	t.Logf("--kill: %d\n%s", status, errOut.String())
	if status != exitOK {
		t.Fatalf("--kill exited %d", status)
	}
	if r := app.Report(); r.State != yarn.StateKilled {
		t.Errorf("after --kill: %s, want KILLED", r.State)
	}
	y.StagingRemoved(app.ID)
	if status := app.wait(time.Minute); status != exitStartFailed {
		t.Errorf("the following gostream-submit exited %d, want %d", status, exitStartFailed)
	}

	out = syncBuffer{}
	status = submit([]string{"--status", app.ID.String()}, environ, stdio{strings.NewReader(""), &out, &errOut}, noSignals)
	if status != exitOK || !strings.Contains(out.String(), "state:        KILLED") {
		t.Errorf("--status exited %d:\n%s", status, out.String())
	}
}

// runningExecutors lists the application's executor containers of the
// current attempt whose processes run.
func (a *yarnApp) executorContainers() []string {
	r := a.Report()
	prefix := yarn.ContainerID{Attempt: r.CurrentAttempt}.String()
	prefix = prefix[:strings.LastIndexByte(prefix, '_')+1]
	cls, err := a.Env.Cluster.ContainerLogs(a.ID.String())
	if err != nil {
		a.Env.T.Fatal(err)
	}
	var ids []string
	for _, cl := range cls {
		if strings.HasPrefix(cl.ContainerID, prefix) && !strings.HasSuffix(cl.ContainerID, "_000001") {
			ids = append(ids, cl.ContainerID)
		}
	}
	return ids
}

// killExecutor SIGKILLs the newest running executor container.
func (a *yarnApp) killExecutor() string {
	a.Env.T.Helper()
	ids := a.executorContainers()
	for i := len(ids) - 1; i >= 0; i-- {
		ctx, cancel := context.WithTimeout(a.Env.T.Context(), 30*time.Second)
		_, pids, err := a.Env.Cluster.KillContainer(ctx, ids[i])
		cancel()
		if err == nil {
			a.Env.T.Logf("killed executor container %s (pids %v)", ids[i], pids)
			return ids[i]
		}
	}
	a.Env.T.Fatalf("no running executor container among %v", ids)
	return ""
}

// TestIntegrationYarnExecutorFailures: a killed executor is replaced and the
// application keeps producing correct output; executor failures reaching
// gostream.executor.maxNumFailures fail the application with a clear
// diagnostic.
func TestIntegrationYarnExecutorFailures(t *testing.T) {
	y := newYarnIT(t)
	app := y.submit(y.filestreamArgs([]string{"--num-executors", "2", "--conf", "spark.yarn.maxAppAttempts=1",
		"--conf", "spark.executor.maxNumFailures=2"})...)
	app.WaitRunning(1, 2*time.Minute)
	app.WaitLog("executor=2 host=", time.Minute) // both executors registered

	app.killExecutor()
	app.WaitLog(`msg="executor launched" app=`+app.ID.String()+` attempt=1 executor=3`, time.Minute)
	want := map[string]int{}
	text, add := words("after-executor-loss", 60)
	y.putFile("a.txt", text)
	addCounts(want, add)
	y.waitCounts(want, time.Minute)
	if r := app.Report(); r.State != yarn.StateRunning {
		t.Fatalf("after one executor failure: %s, want RUNNING", r.State)
	}

	app.killExecutor()
	if status := app.wait(2 * time.Minute); status != exitStartFailed {
		t.Errorf("gostream-submit exited %d, want %d", status, exitStartFailed)
	}
	r := app.Report()
	if r.FinalStatus != yarn.FinalFailed || !strings.Contains(r.Diagnostics, "gostream.executor.maxNumFailures=2") {
		t.Errorf("final report %s %s, diagnostics %q: want FAILED naming gostream.executor.maxNumFailures", r.State, r.FinalStatus, r.Diagnostics)
	}
}

// TestIntegrationYarnNodeLoss: the NodeManager running the AM dies; YARN
// starts the next attempt on the other node, which continues from the
// checkpoint.
func TestIntegrationYarnNodeLoss(t *testing.T) {
	y := newYarnIT(t)
	app := y.submit(y.filestreamArgs([]string{"--num-executors", "1", "--conf", "spark.yarn.maxAppAttempts=3"})...)
	app.WaitRunning(1, 2*time.Minute)
	want := map[string]int{}
	text, add := words("before", 40)
	y.putFile("a.txt", text)
	addCounts(want, add)
	y.waitCounts(want, time.Minute)

	nm, err := y.Cluster.FindContainer(app.AMContainer())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	if err := y.Cluster.KillDaemon(ctx, nm.Name); err != nil {
		t.Fatal(err)
	}
	lost := time.Now()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		if err := y.Cluster.StartDaemon(ctx, nm.Name); err != nil {
			t.Errorf("restart %s: %v", nm.Name, err)
		}
		if err := y.Cluster.WaitReady(ctx); err != nil {
			t.Errorf("cluster not ready after restarting %s: %v", nm.Name, err)
		}
	})
	t.Logf("killed %s, which ran the AM", nm.Name)
	r := app.WaitRunning(2, 3*time.Minute)
	t.Logf("attempt %d RUNNING %s after the node loss", r.CurrentAttempt.Attempt, time.Since(lost).Round(time.Second))
	moved, err := y.Cluster.FindContainer(app.AMContainer())
	if err != nil {
		t.Fatal(err)
	}
	if moved.Name == nm.Name {
		t.Fatalf("attempt %d's AM on the lost node %s", r.CurrentAttempt.Attempt, nm.Name)
	}
	text, add = words("after", 40)
	y.putFile("b.txt", text)
	addCounts(want, add)
	y.waitCounts(want, time.Minute)
}

// TestIntegrationYarnBadInput: mistakes get clear errors, from
// gostream-submit or as the RM's reason.
func TestIntegrationYarnBadInput(t *testing.T) {
	y := newYarnIT(t)
	app := filestreamApp(t)
	environ := append(cleanEnviron(), "HADOOP_CONF_DIR="+y.Cluster.HadoopConfDir)
	run := func(environ []string, args ...string) (int, string, time.Duration) {
		var out, errOut syncBuffer
		start := time.Now()
		argv := append([]string{"--master", "yarn", "--deploy-mode", "cluster"}, args...)
		status := submit(argv, environ, stdio{strings.NewReader(""), &out, &errOut}, noSignals)
		return status, errOut.String(), time.Since(start)
	}

	// An RM that does not answer: a configuration naming a closed port.
	down := t.TempDir()
	for _, f := range []string{"core-site.xml", "hdfs-site.xml"} {
		b, err := os.ReadFile(filepath.Join(y.Cluster.HadoopConfDir, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(down, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(down, "yarn-site.xml"), []byte(`<configuration>
<property><name>yarn.resourcemanager.address</name><value>127.0.0.1:1</value></property>
</configuration>`), 0o644); err != nil {
		t.Fatal(err)
	}
	status, stderr, took := run(append(cleanEnviron(), "HADOOP_CONF_DIR="+down), app)
	t.Logf("RM down: %d after %s: %s", status, took.Round(time.Millisecond), stderr)
	if status != exitStartFailed || !strings.Contains(stderr, "127.0.0.1:1") || took > yarnctl.ConnectTimeout+5*time.Second {
		t.Errorf("RM down: status %d after %s, want %d naming 127.0.0.1:1 within %s", status, took, exitStartFailed, yarnctl.ConnectTimeout)
	}

	status, stderr, _ = run(environ, filepath.Join(t.TempDir(), "no-such-app"))
	if status != exitUsage || !strings.Contains(stderr, "no such file or directory") {
		t.Errorf("missing binary: %d %s", status, stderr)
	}

	status, stderr, _ = run(environ, "--driver-memory", "64g", app)
	t.Logf("AM above the cluster maximum: %d: %s", status, stderr)
	if status != exitStartFailed || !strings.Contains(stderr, "nvalid") || !strings.Contains(stderr, "maximum") {
		t.Errorf("memory above the maximum: %d, want %d with the RM's reason:\n%s", status, exitStartFailed, stderr)
	}

	status, stderr, _ = run(environ, "--queue", "no-such-queue", app)
	t.Logf("unknown queue: %d: %s", status, stderr)
	if status != exitStartFailed || !strings.Contains(stderr, "no-such-queue") {
		t.Errorf("unknown queue: %d, want %d naming the queue:\n%s", status, exitStartFailed, stderr)
	}
	if strings.Contains(stderr, ".gostreamStaging") {
		// The staging directory of a refused submission is removed.
		m := regexp.MustCompile(`staging directory (hdfs://\S+)`).FindStringSubmatch(stderr)
		if m != nil {
			p := strings.TrimPrefix(m[1], y.Cluster.NameNodeURI())
			if _, err := y.FS.Stat(t.Context(), p); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("staging directory %s of the refused application: %v, want it removed", p, err)
			}
		}
	}
}

// BenchmarkIntegrationYarnFirstBatch measures, on the test cluster, the
// time from gostream-submit to the first completed batch of the driver in
// the AM (submit_to_first_batch_s), and from the AM's death (SIGKILL) to the
// first completed batch of the next attempt (am_kill_to_first_batch_s).
// Run: go test -tags integration -run '^$' -bench YarnFirstBatch -benchtime 3x ./cmd/gostream-submit
func BenchmarkIntegrationYarnFirstBatch(b *testing.B) {
	y := newYarnIT(b)
	var submitTotal, recoverTotal time.Duration
	for i := range b.N {
		start := time.Now()
		app := y.submit(y.filestreamArgs([]string{"--num-executors", "1", "--conf", "spark.yarn.maxAppAttempts=2",
			"--conf", fmt.Sprintf("gostream.streaming.checkpoint.directory=%s-%d", y.URL("checkpoint"), i)})...)
		r := app.WaitRunning(1, 2*time.Minute)
		app.firstBatch(r.TrackingURL, 1)
		submitTotal += time.Since(start)

		killed := time.Now()
		app.KillAM()
		r = app.WaitRunning(2, 2*time.Minute)
		app.firstBatch(r.TrackingURL, 2)
		recoverTotal += time.Since(killed)
		_, _ = y.RM.KillApplication(b.Context(), app.ID, "benchmark done")
		app.wait(time.Minute)
	}
	b.ReportMetric(submitTotal.Seconds()/float64(b.N), "submit_to_first_batch_s")
	b.ReportMetric(recoverTotal.Seconds()/float64(b.N), "am_kill_to_first_batch_s")
}

// executorTasks is how many map tasks the driver's executors completed.
func executorTasks(st *ui.Status) int64 {
	var n int64
	for _, x := range st.Registered {
		n += x.CompletedTasks
	}
	return n
}

// firstBatch waits until attempt's driver has completed a batch, polling its
// status page.
func (a *yarnApp) firstBatch(trackingURL string, attempt int) {
	a.Env.T.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		if st := a.Status(trackingURL); st.Attempt == attempt && st.CompletedBatches > 0 {
			return
		}
		if time.Now().After(deadline) {
			a.Env.T.Fatalf("attempt %d completed no batch within a minute", attempt)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestIntegrationYarnClientMode runs the word count with --deploy-mode
// client: the driver runs in gostream-submit's child process, its receiver
// on an executor that YARN started and that connected back; gostream-submit
// exits with the driver's status and the application ends SUCCEEDED.
func TestIntegrationYarnClientMode(t *testing.T) {
	y := newYarnIT(t)
	var stdout, stderr syncBuffer
	environ := append(cleanEnviron(), "HADOOP_CONF_DIR="+y.Cluster.HadoopConfDir)
	args := []string{"--master", "yarn", "--deploy-mode", "client", "--num-executors", "1", "--executor-memory", "256m",
		"--conf", "spark.yarn.am.memory=256m", "--conf", "spark.driver.host=127.0.0.1", "--conf", "gostream.yarn.report.interval=500ms",
		exampleApp(t, "wordcount"), "-duration", "15s", "-checkpoint", y.URL("checkpoint")}
	status := submit(args, environ, stdio{strings.NewReader(""), &stdout, &stderr}, noSignals)
	t.Logf("gostream-submit exited %d:\n%s", status, stderr.String())
	if status != exitOK {
		t.Fatalf("client mode exited %d, want 0", status)
	}
	for _, want := range []string{"the driver runs here", `msg="receiver running on an executor"`, "final status SUCCEEDED",
		"status page at http://localhost:"} { // the client-mode driver's own page and metrics
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	if !strings.Contains(stdout.String(), "running total:") {
		t.Errorf("the driver's output is not on stdout:\n%s", stdout.String())
	}
	m := submittedRE.FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatal("no application id")
	}
	id, err := yarn.ParseApplicationID(m[1])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := y.FS.Stat(t.Context(), client.StagingDir("/user/"+y.RM.User(), id)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("staging directory after the end: %v, want it removed", err)
	}
}

// BenchmarkIntegrationYarnWordCountThroughput runs the word count in cluster
// mode with its generator receiver on one of 2 executors producing as fast
// as it can, and reports the records per second the driver in the AM
// processed over the last 10 batches (records_per_sec) with their mean
// total delay (mean_total_delay_ms): the sustained throughput of receiving
// on an executor and processing in the AM. Compare with local[2]
// (go run ./cmd/gostream-bench -bench wordcount).
// Run: go test -tags integration -run '^$' -bench YarnWordCountThroughput -benchtime 1x ./cmd/gostream-submit
func BenchmarkIntegrationYarnWordCountThroughput(b *testing.B) {
	y := newYarnIT(b)
	for range b.N {
		app := y.submit("--num-executors", "2", "--driver-cores", "2", "--driver-memory", "1g", "--executor-memory", "512m",
			"--conf", "spark.yarn.maxAppAttempts=1", exampleApp(b, "wordcount"), "-rate", "0", "-top", "1", "-duration", "40s",
			"-checkpoint", y.URL("checkpoint"))
		r := app.WaitRunning(1, 2*time.Minute)
		time.Sleep(30 * time.Second)
		st := app.Status(r.TrackingURL)
		if len(st.Batches) < 10 {
			b.Fatalf("%d batches completed", len(st.Batches))
		}
		last := st.Batches[len(st.Batches)-10:]
		var records int64
		var delay time.Duration
		for _, bs := range last {
			records += bs.Records
			delay += bs.TotalDelay
		}
		span := last[len(last)-1].Time.Sub(last[0].Time) + st.BatchDuration
		b.ReportMetric(float64(records)/span.Seconds(), "records_per_sec")
		b.ReportMetric(float64(delay.Milliseconds())/float64(len(last)), "mean_total_delay_ms")
		_, _ = y.RM.KillApplication(b.Context(), app.ID, "benchmark done")
		app.wait(time.Minute)
	}
}
