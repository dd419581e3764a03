package hdfsstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is the policy's clock in tests: sleeping advances it.
type fakeClock struct {
	mu    sync.Mutex
	t     time.Time
	slept []time.Duration
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	c.slept = append(c.slept, d)
	return nil
}

func testPolicy(timeout time.Duration, log *bytes.Buffer) (*RetryPolicy, *fakeClock) {
	c := &fakeClock{t: time.Unix(1000, 0)}
	return &RetryPolicy{Timeout: timeout, Setting: "test.retryTimeout", Logger: slog.New(slog.NewTextHandler(log, nil)),
		now: c.now, sleep: c.sleep}, c
}

var errDown = &fs.PathError{Op: "stat", Path: "hdfs://nn/x",
	Err: &hdfsError{class: ErrUnavailable, msg: "no available namenodes: connection refused"}}

func TestIsTransient(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{errDown, true},
		{fmt.Errorf("wrapped: %w", ErrSafeMode), true},
		{&opTimeoutError{timeout: time.Second}, true},
		{classify(errors.New("no available namenodes: dial tcp: connection refused")), true},
		{classify(errors.New("No available datanodes for block.")), true},
		{fs.ErrNotExist, false},
		{fs.ErrPermission, false},
		{fs.ErrExist, false},
		{&CorruptError{Kind: kindCheckpoint, Problem: ProblemChecksum}, false},
		{context.Canceled, false},
		{nil, false},
	} {
		if got := IsTransient(c.err); got != c.want {
			t.Errorf("IsTransient(%v) = %t, want %t", c.err, got, c.want)
		}
	}
}

func TestRetryTransientThenSuccess(t *testing.T) {
	var log bytes.Buffer
	p, clock := testPolicy(time.Minute, &log)
	tries := 0
	err := p.Do(t.Context(), "stat", "/x", func(context.Context) error {
		tries++
		if tries <= 5 {
			return errDown
		}
		return nil
	})
	if err != nil || tries != 6 {
		t.Fatalf("Do: %v after %d tries, want success on the 6th", err, tries)
	}
	want := []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, 1600 * time.Millisecond, 3200 * time.Millisecond}
	if fmt.Sprint(clock.slept) != fmt.Sprint(want) {
		t.Errorf("backoff %v, want %v", clock.slept, want)
	}
	if s := log.String(); strings.Count(s, "storage unavailable; retrying") != 1 || !strings.Contains(s, "storage available again") {
		t.Errorf("log: want one line when the wait starts and one when it ends:\n%s", s)
	}
}

func TestRetryPermanentErrorNotRetried(t *testing.T) {
	var log bytes.Buffer
	p, _ := testPolicy(time.Minute, &log)
	for _, perm := range []error{fs.ErrPermission, fs.ErrNotExist, fs.ErrExist, &CorruptError{Kind: kindSegment, Problem: ProblemTruncated}} {
		tries := 0
		err := p.Do(t.Context(), "create", "/x", func(context.Context) error { tries++; return perm })
		if !errors.Is(err, perm) || tries != 1 {
			t.Errorf("%v: %v after %d tries, want it returned at once", perm, err, tries)
		}
	}
	if log.Len() != 0 {
		t.Errorf("log: want nothing for errors not retried:\n%s", log.String())
	}
}

func TestRetryDeadline(t *testing.T) {
	var log bytes.Buffer
	p, clock := testPolicy(2*time.Minute, &log)
	tries := 0
	err := p.Do(t.Context(), "mkdir", "/x", func(context.Context) error { tries++; return errDown })
	var re *RetryError
	if !errors.As(err, &re) || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Do: %v, want a *RetryError wrapping the last error", err)
	}
	if re.Waited != 2*time.Minute || re.Tries != tries || !strings.Contains(err.Error(), "test.retryTimeout") {
		t.Errorf("RetryError %+v (%v): want 2m0s waited, %d tries, the setting named", re, err, tries)
	}
	total := time.Duration(0)
	for _, d := range clock.slept {
		total += d
		if d > retryMaxBackoff {
			t.Errorf("slept %v, above the %v cap", d, retryMaxBackoff)
		}
	}
	if total != 2*time.Minute {
		t.Errorf("slept %v in all, want exactly the timeout", total)
	}
	// One line when the wait starts, then one every 30 s: not one a try.
	if n := strings.Count(log.String(), "storage still unavailable"); n < 3 || n > 4 {
		t.Errorf("%d periodic log lines over 2 minutes of %d tries, want one every 30 s:\n%s", n, tries, log.String())
	}
}

func TestRetryContextCancel(t *testing.T) {
	var log bytes.Buffer
	p, _ := testPolicy(time.Hour, &log)
	ctx, cancel := context.WithCancel(t.Context())
	tries := 0
	err := p.Do(ctx, "open", "/x", func(context.Context) error {
		tries++
		if tries == 3 {
			cancel()
		}
		return errDown
	})
	if !errors.Is(err, context.Canceled) || tries != 3 {
		t.Fatalf("Do: %v after %d tries, want context.Canceled after the 3rd", err, tries)
	}
}

func TestRetryZeroTimeoutAndNesting(t *testing.T) {
	var log bytes.Buffer
	p, _ := testPolicy(0, &log)
	tries := 0
	if err := p.Do(t.Context(), "stat", "/x", func(context.Context) error { tries++; return errDown }); !errors.Is(err, ErrUnavailable) || tries != 1 {
		t.Errorf("timeout 0: %v after %d tries, want one try", err, tries)
	}
	// Inside a retried whole, a step runs once: the whole is retried.
	p, _ = testPolicy(time.Minute, &log)
	outer, inner := 0, 0
	err := p.Do(t.Context(), "write", "/x", func(ctx context.Context) error {
		outer++
		return p.Do(ctx, "create", "/x", func(context.Context) error {
			inner++
			if inner < 3 {
				return errDown
			}
			return nil
		})
	})
	if err != nil || outer != 3 || inner != 3 {
		t.Errorf("nested: %v, outer %d, inner %d tries, want 3 and 3", err, outer, inner)
	}
}

// flakyFS fails the first fails calls of each kind with a transient error,
// after (when done is set) doing what was asked, as a NameNode whose answer
// was lost would.
type flakyFS struct {
	FS
	fails map[string]int
	done  bool
}

func (f *flakyFS) fail(op string) bool {
	if f.fails[op] > 0 {
		f.fails[op]--
		return true
	}
	return false
}

func (f *flakyFS) Rename(ctx context.Context, o, n string) error {
	if f.fail("rename") {
		if f.done {
			_ = f.FS.Rename(ctx, o, n)
		}
		return errDown
	}
	return f.FS.Rename(ctx, o, n)
}

func (f *flakyFS) Remove(ctx context.Context, name string) error {
	if f.fail("remove") {
		if f.done {
			_ = f.FS.Remove(ctx, name)
		}
		return errDown
	}
	return f.FS.Remove(ctx, name)
}

func (f *flakyFS) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	if f.fail("open") {
		return nil, errDown
	}
	r, err := f.FS.Open(ctx, name)
	if err != nil || f.fails["read"] == 0 {
		return r, err
	}
	f.fails["read"]--
	return &failAfter{r: r, n: 3}, nil
}

// Create's writers fail their Commit while fails["commit"] lasts, as a
// write whose DataNode went away does.
func (f *flakyFS) Create(ctx context.Context, name string) (Writer, error) {
	w, err := f.FS.Create(ctx, name)
	if err != nil {
		return nil, err
	}
	return &flakyWriter{Writer: w, f: f}, nil
}

type flakyWriter struct {
	Writer
	f *flakyFS
}

func (w *flakyWriter) Commit(ctx context.Context) error {
	if w.f.fail("commit") {
		return errDown
	}
	return w.Writer.Commit(ctx)
}

// failAfter reads n bytes, then fails transiently.
type failAfter struct {
	r io.ReadCloser
	n int
}

func (f *failAfter) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errDown
	}
	n, err := f.r.Read(p[:min(len(p), f.n)])
	f.n -= n
	return n, err
}

func (f *failAfter) Close() error { return f.r.Close() }

func TestRetryFS(t *testing.T) {
	var log bytes.Buffer
	p, _ := testPolicy(time.Minute, &log)
	ctx := t.Context()
	dir := filepath.ToSlash(t.TempDir())
	flaky := &flakyFS{FS: NewLocal(), fails: map[string]int{}, done: true}
	fsys := newRetryFS(flaky, p)
	if err := WriteFileAtomic(ctx, fsys, dir+"/a", []byte("hello, world")); err != nil {
		t.Fatal(err)
	}

	// A rename or remove whose answer was lost is found done on the retry.
	flaky.fails["rename"] = 1
	if err := fsys.Rename(ctx, dir+"/a", dir+"/b"); err != nil {
		t.Errorf("rename done by a failed try: %v", err)
	}
	flaky.fails["remove"] = 1
	if err := fsys.Remove(ctx, dir+"/b"); err != nil {
		t.Errorf("remove done by a failed try: %v", err)
	}
	if _, err := fsys.Stat(ctx, dir+"/b"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stat after remove: %v", err)
	}

	// Opens are retried; a read that fails goes on from where it was.
	if err := WriteFileAtomic(ctx, fsys, dir+"/c", []byte("0123456789")); err != nil {
		t.Fatal(err)
	}
	flaky.fails["open"], flaky.fails["read"] = 2, 2
	b, err := ReadFile(ctx, fsys, dir+"/c")
	if err != nil || string(b) != "0123456789" {
		t.Errorf("read through failures: %q, %v", b, err)
	}

	// A failed write is redone whole by the atomic write.
	flaky.fails["rename"], flaky.done = 2, false
	if err := WriteFileAtomic(ctx, fsys, dir+"/d", []byte("x")); err != nil {
		t.Errorf("atomic write through failed renames: %v", err)
	}
	if b, err := ReadFile(ctx, fsys, dir+"/d"); err != nil || string(b) != "x" {
		t.Errorf("d: %q, %v", b, err)
	}
}

// TestRetryBeneathFence: the engine fences every file system it retries on;
// work redone whole still finds the policy beneath the fence.
func TestRetryBeneathFence(t *testing.T) {
	var log bytes.Buffer
	p, _ := testPolicy(time.Minute, &log)
	dir := filepath.ToSlash(t.TempDir())
	flaky := &flakyFS{FS: NewLocal(), fails: map[string]int{"commit": 2}}
	fenceChecks := 0
	fsys := Fenced(newRetryFS(flaky, p), func(context.Context) error { fenceChecks++; return nil })
	if err := WriteFileAtomic(t.Context(), fsys, dir+"/d", []byte("x")); err != nil {
		t.Fatalf("atomic write through failed commits beneath a fence: %v", err)
	}
	if b, err := ReadFile(t.Context(), fsys, dir+"/d"); err != nil || string(b) != "x" || fenceChecks == 0 {
		t.Errorf("d: %q, %v, %d fence checks", b, err, fenceChecks)
	}
}

// TestResolverWaitsForNameNode: with a RetryTimeout, a NameNode that does
// not answer when a path is resolved is not an error yet; calls wait for it
// and then fail with the cause. Without one, resolving fails at once.
func TestResolverWaitsForNameNode(t *testing.T) {
	t.Setenv("HADOOP_CONF_DIR", writeConf(t, map[string]string{"fs.defaultFS": "file:///"}, nil))
	const down = "hdfs://127.0.0.1:1/x" // nothing listens there
	if fsys, _, err := forPath(t, down); !IsTransient(err) {
		t.Errorf("ForPath without retry = %v, %v; want an error at once", fsys, err)
	}
	var log bytes.Buffer
	r := &Resolver{RetryTimeout: 300 * time.Millisecond, RetrySetting: "test.retryTimeout", Logger: slog.New(slog.NewTextHandler(&log, nil))}
	defer r.Close()
	fsys, name, err := r.ForPath(t.Context(), down)
	if err != nil || name != "/x" || fsys.String() != "hdfs://127.0.0.1:1" {
		t.Fatalf("ForPath with retry = %v, %q, %v; want the file system", fsys, name, err)
	}
	_, err = fsys.Stat(t.Context(), name)
	var re *RetryError
	if !errors.As(err, &re) || !errors.Is(err, ErrUnavailable) || re.Tries < 2 {
		t.Errorf("Stat on a NameNode that stays down: %v; want a *RetryError after several tries", err)
	}
	if s := log.String(); !strings.Contains(s, "HDFS cannot be reached now") || !strings.Contains(s, "storage unavailable; retrying") {
		t.Errorf("log:\n%s", s)
	}
}
