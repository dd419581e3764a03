// Package yarntest holds what gostream's YARN integration tests share: a
// test's view of the test cluster (RM client, HDFS, a private HDFS
// directory), binaries built as YARN runs them, and an application handle
// that waits for attempts, kills containers and reads the driver's status
// page and the containers' logs. It is for tests only.
package yarntest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gostream/gostream/client"
	"github.com/gostream/gostream/hdfsstore"
	"github.com/gostream/gostream/internal/hadoopconf"
	"github.com/gostream/gostream/internal/procenv"
	"github.com/gostream/gostream/internal/yarn"
	"github.com/gostream/gostream/internal/yarnctl"
	"github.com/gostream/gostream/testcluster"
	"github.com/gostream/gostream/ui"
)

// Env is one test's view of the cluster.
type Env struct {
	T       testing.TB
	Cluster *testcluster.Cluster
	RM      *client.Client
	FS      hdfsstore.FS
	Dir     string // the test's HDFS directory, removed when the test passes
}

// New connects to the test cluster (starting it when needed, see
// testcluster.Get) and makes the test's HDFS directory.
func New(t testing.TB) *Env {
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
	r := &hdfsstore.Resolver{Conf: hc}
	t.Cleanup(func() { r.Close() })
	fsys, _, err := r.ForPath(ctx, tc.NameNodeURI()+"/")
	if err != nil {
		t.Fatal(err)
	}
	dir := fmt.Sprintf("/gostream-it/%s-%d", strings.NewReplacer("/", "_", "=", "_").Replace(t.Name()), time.Now().UnixNano())
	if err := fsys.MkdirAll(ctx, dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !t.Failed() {
			_ = fsys.RemoveAll(context.Background(), dir)
		}
	})
	return &Env{T: t, Cluster: tc, RM: rm, FS: fsys, Dir: dir}
}

// URL is the hdfs:// URL of p, a path relative to the test's directory.
func (e *Env) URL(p string) string { return e.Cluster.NameNodeURI() + path.Join(e.Dir, p) }

// Path is the HDFS path of p, relative to the test's directory.
func (e *Env) Path(p string) string { return path.Join(e.Dir, p) }

// ReadFile returns the contents of p, relative to the test's directory.
func (e *Env) ReadFile(p string) (string, error) {
	ctx, cancel := context.WithTimeout(e.T.Context(), 30*time.Second)
	defer cancel()
	r, err := e.FS.Open(ctx, e.Path(p))
	if err != nil {
		return "", err
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	return string(b), err
}

// StagingRemoved fails the test unless application id's staging directory
// is gone.
//
// The AM removes it after unregistering (an unregister that fails must
// leave the next attempt its binary), so a client that saw the application
// finish may look a moment too early: wait a little.
func (e *Env) StagingRemoved(id yarn.ApplicationID) {
	e.T.Helper()
	dir := client.StagingDir("/user/"+e.RM.User(), id)
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := e.FS.Stat(e.T.Context(), dir)
		if errors.Is(err, os.ErrNotExist) {
			return
		}
		if time.Now().After(deadline) {
			e.T.Errorf("staging directory %s: %v, want it removed", dir, err)
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// build is one binary, built once per test process.
type build struct {
	once sync.Once
	path string
	err  error
}

var builds sync.Map // "pkg name flags" → *build

// Build compiles the Go main package pkg (a path relative to the test's
// package) into a binary called name, as YARN runs it (no cgo), once per
// test process; extra are more "go build" flags. All binaries of a process
// share one directory, so scripts can find them there.
func Build(t testing.TB, pkg, name string, extra ...string) string {
	t.Helper()
	v, _ := builds.LoadOrStore(pkg+" "+name+" "+strings.Join(extra, " "), &build{})
	b := v.(*build)
	b.once.Do(func() {
		dir, err := binDir()
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, name)
		cmd := exec.Command("go", append(append([]string{"build", "-o", b.path}, extra...), pkg)...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

var (
	binOnce sync.Once
	bin     string
	binErr  error
)

// binDir is the process's directory of built binaries.
func binDir() (string, error) {
	binOnce.Do(func() { bin, binErr = os.MkdirTemp("", "gostream-yarntest-") })
	return bin, binErr
}

// App is an application on the test cluster.
type App struct {
	Env *Env
	ID  yarn.ApplicationID
}

// Report is the RM's report of the application.
func (a *App) Report() *client.ApplicationReport {
	a.Env.T.Helper()
	ctx, cancel := context.WithTimeout(a.Env.T.Context(), 30*time.Second)
	defer cancel()
	r, err := a.Env.RM.ApplicationReport(ctx, a.ID)
	if err != nil {
		a.Env.T.Fatal(err)
	}
	return r
}

// WaitRunning waits until attempt n (or a later one) is RUNNING: its AM has
// registered.
func (a *App) WaitRunning(n int32, timeout time.Duration) *client.ApplicationReport {
	a.Env.T.Helper()
	deadline := time.Now().Add(timeout)
	for {
		r := a.Report()
		switch {
		case r.State == yarn.StateRunning && r.CurrentAttempt.Attempt >= n:
			return r
		case r.State.Terminal():
			a.Env.T.Fatalf("%s ended %s (%s) while waiting for attempt %d: %s", a.ID, r.State, r.FinalStatus, n, r.Diagnostics)
		case time.Now().After(deadline):
			a.Env.T.Fatalf("%s: attempt %d not RUNNING after %s (state %s, attempt %d)", a.ID, n, timeout, r.State, r.CurrentAttempt.Attempt)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// WaitEnd waits until the application has ended.
func (a *App) WaitEnd(timeout time.Duration) *client.ApplicationReport {
	a.Env.T.Helper()
	deadline := time.Now().Add(timeout)
	for {
		r := a.Report()
		if r.State.Terminal() {
			return r
		}
		if time.Now().After(deadline) {
			a.Env.T.Fatalf("%s still %s after %s", a.ID, r.State, timeout)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// KillContainer SIGKILLs container n (1: the AM) of the current attempt,
// waiting until it runs, and returns its id.
func (a *App) KillContainer(n int64) string {
	a.Env.T.Helper()
	r := a.WaitRunning(1, 2*time.Minute)
	return a.kill(yarn.ContainerID{Attempt: r.CurrentAttempt, ID: n}.String())
}

// KillAM SIGKILLs the current attempt's AM and returns the attempt number.
func (a *App) KillAM() int32 {
	a.Env.T.Helper()
	r := a.WaitRunning(1, 2*time.Minute)
	a.kill(yarn.ContainerID{Attempt: r.CurrentAttempt, ID: 1}.String())
	return r.CurrentAttempt.Attempt
}

func (a *App) kill(id string) string {
	a.Env.T.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		ctx, cancel := context.WithTimeout(a.Env.T.Context(), 30*time.Second)
		nm, pids, err := a.Env.Cluster.KillContainer(ctx, id)
		cancel()
		if err == nil {
			a.Env.T.Logf("killed %s on %s (pids %v)", id, nm.Name, pids)
			return id
		}
		if !errors.Is(err, testcluster.ErrNotFound) || time.Now().After(deadline) {
			a.Env.T.Fatal(err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// Freeze SIGSTOPs the processes of container id, thawing them when the
// test ends.
func (a *App) Freeze(id string) {
	a.Env.T.Helper()
	ctx, cancel := context.WithTimeout(a.Env.T.Context(), 30*time.Second)
	defer cancel()
	nm, pids, err := a.Env.Cluster.FreezeContainer(ctx, id)
	if err != nil {
		a.Env.T.Fatal(err)
	}
	a.Env.T.Logf("froze %s on %s (pids %v)", id, nm.Name, pids)
	a.Env.T.Cleanup(func() { _, _, _ = a.Env.Cluster.ThawContainer(context.Background(), id) })
}

// Thaw SIGCONTs the processes of container id and waits until none is left
// (they must exit) for up to timeout; a container killed while frozen has
// none to thaw.
func (a *App) Thaw(id string, timeout time.Duration) {
	a.Env.T.Helper()
	ctx, cancel := context.WithTimeout(a.Env.T.Context(), timeout)
	defer cancel()
	_, pids, err := a.Env.Cluster.ThawContainer(ctx, id)
	switch {
	case err == nil:
		a.Env.T.Logf("thawed %s (pids %v)", id, pids)
	case errors.Is(err, testcluster.ErrNotFound):
		a.Env.T.Logf("%s: no process left to thaw", id)
	default:
		a.Env.T.Fatal(err)
	}
	for {
		_, pids, err := a.Env.Cluster.ContainerProcesses(ctx, id)
		if errors.Is(err, testcluster.ErrNotFound) {
			return
		}
		if ctx.Err() != nil {
			a.Env.T.Fatalf("%s: processes %v still run %s after the thaw (err %v)", id, pids, timeout, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// AMContainer is the AM container of the current attempt.
func (a *App) AMContainer() string {
	return yarn.ContainerID{Attempt: a.Report().CurrentAttempt, ID: 1}.String()
}

// Status reads the driver's status page through the tracking URL (the RM's
// proxy), once it answers.
func (a *App) Status(trackingURL string) *ui.Status {
	a.Env.T.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		st, err := yarnctl.DriverStatus(a.Env.T.Context(), trackingURL)
		if err == nil {
			return st
		}
		if time.Now().After(deadline) {
			a.Env.T.Fatalf("status page of %s: %v", trackingURL, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Logs is the text of the stderr and prelaunch.err files of the
// application's containers.
func (a *App) Logs() string {
	cls, err := a.Env.Cluster.ContainerLogs(a.ID.String())
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

// WaitLog waits until the containers' logs contain s.
func (a *App) WaitLog(s string, timeout time.Duration) {
	a.Env.T.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(a.Logs(), s) {
		if time.Now().After(deadline) {
			a.Env.T.Fatalf("no %q in the container logs of %s after %s", s, a.ID, timeout)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// DumpLogsOnFailure logs the tail of the containers' logs when the test
// fails, and kills the application when the test ends. It also fails the
// test if a container's launch script, which the NodeManager keeps in the
// container's log directory, sets the application secret: containers get it
// in their credentials.
func (a *App) DumpLogsOnFailure() {
	a.Env.T.Cleanup(func() {
		if cls, err := a.Env.Cluster.ContainerLogs(a.ID.String()); err == nil {
			for _, cl := range cls {
				if bytes.Contains(cl.Files["launch_container.sh"], []byte(procenv.ExecutorSecret+"=")) {
					a.Env.T.Errorf("the launch script of %s sets %s: the secret is readable in the container's logs", cl.ContainerID, procenv.ExecutorSecret)
				}
			}
		}
		if a.Env.T.Failed() {
			logs := a.Logs()
			if len(logs) > 20000 {
				logs = "…" + logs[len(logs)-20000:]
			}
			a.Env.T.Logf("container logs of %s:\n%s", a.ID, logs)
		}
		_, _ = a.Env.RM.KillApplication(context.Background(), a.ID, "test cleanup")
	})
}
