package examples_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var examples = []string{"wordcount", "statefulwordcount", "windowedcounts", "filestream", "reliablecount"}

// binDir holds the examples, built once by TestMain.
var binDir string

// TestMain builds the examples. It also keeps a developer's HADOOP_CONF_DIR
// or YARN_CONF_DIR from sending the unit tests' local paths to the
// cluster's fs.defaultFS (integration tests pass the test cluster's
// configuration to what they run).
func TestMain(m *testing.M) {
	os.Unsetenv("HADOOP_CONF_DIR")
	os.Unsetenv("YARN_CONF_DIR")
	dir, err := os.MkdirTemp("", "gostream-examples-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	for _, e := range examples {
		args = append(args, "./"+e)
	}
	if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go %s: %v\n%s", strings.Join(args, " "), err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// run starts an example with args and a clean environment.
type run struct {
	cmd            *exec.Cmd
	stdout, stderr syncBuffer
	done           chan error
}

func start(t *testing.T, example string, args ...string) *run {
	t.Helper()
	return startEnv(t, nil, example, args...)
}

// startEnv is start with variables (NAME=value) added to the clean environment.
func startEnv(t *testing.T, env []string, example string, args ...string) *run {
	t.Helper()
	r := &run{cmd: exec.Command(filepath.Join(binDir, example), args...), done: make(chan error, 1)}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOSTREAM_") {
			r.cmd.Env = append(r.cmd.Env, kv)
		}
	}
	r.cmd.Env = append(r.cmd.Env, env...)
	r.cmd.Stdout, r.cmd.Stderr = &r.stdout, &r.stderr
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.done <- r.cmd.Wait() }()
	t.Cleanup(func() { _ = r.cmd.Process.Kill() })
	return r
}

// wait waits for the example to exit by itself and checks that it succeeded.
func (r *run) wait(t *testing.T) {
	t.Helper()
	select {
	case err := <-r.done:
		if err != nil {
			t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", r.cmd.Path, err, r.stdout.String(), r.stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("%s did not stop after -duration\nstdout:\n%s\nstderr:\n%s", r.cmd.Path, r.stdout.String(), r.stderr.String())
	}
}

// waitFor waits until the example's stderr contains s.
func (r *run) waitFor(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(r.stderr.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q on stderr:\n%s", s, r.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *run) expect(t *testing.T, stdout ...string) {
	t.Helper()
	for _, s := range stdout {
		if !strings.Contains(r.stdout.String(), s) {
			t.Errorf("stdout lacks %q:\n%s", s, r.stdout.String())
		}
	}
	for _, s := range []string{`msg="batch completed"`, `msg="streaming context stopped" graceful=true`} {
		if !strings.Contains(r.stderr.String(), s) {
			t.Errorf("stderr lacks %q:\n%s", s, r.stderr.String())
		}
	}
}

func TestGeneratorExamples(t *testing.T) {
	tests := []struct {
		example string
		args    []string
		stdout  []string
	}{
		{"wordcount", []string{"-batch", "500ms", "-rate", "1000"}, []string{"this batch:", "running total:", "  w0 "}},
		{"statefulwordcount", []string{"-batch", "500ms", "-forget", "2"}, []string{"words in the state", "  w0 "}},
		{"windowedcounts", []string{"-batch", "500ms", "-window", "1s", "-slide", "500ms"}, []string{"window of 1s:", "  w0 "}},
	}
	for _, tt := range tests {
		t.Run(tt.example, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"-duration", "2500ms", "-checkpoint", t.TempDir()}, tt.args...)
			r := start(t, tt.example, args...)
			r.wait(t)
			r.expect(t, tt.stdout...)
		})
	}
}

// TestNetworkWordCount feeds wordcount from a TCP server, as Spark's
// NetworkWordCount is fed by nc -lk.
func TestNetworkWordCount(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				w := bufio.NewWriter(conn)
				for range 100 {
					if _, err := w.WriteString("hello gostream hello\n"); err != nil || w.Flush() != nil {
						return
					}
					time.Sleep(20 * time.Millisecond)
				}
			}()
		}
	}()
	r := start(t, "wordcount", "-source", "socket", "-addr", ln.Addr().String(), "-batch", "500ms",
		"-duration", "2500ms", "-checkpoint", t.TempDir())
	r.wait(t)
	r.expect(t, "  hello ", "  gostream ")
}

func TestFileStream(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out", "counts")
	r := start(t, "filestream", "-in", in, "-out", out, "-batch", "500ms", "-duration", "3s")
	r.waitFor(t, `msg="batch completed"`) // files already there at start are ignored
	tmp := filepath.Join(dir, "words.txt")
	if err := os.WriteFile(tmp, []byte("to be or not to be\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(in, "words.txt")); err != nil {
		t.Fatal(err)
	}
	r.wait(t)
	r.expect(t, "(be,2)", "(to,2)", "(or,1)")
	parts, err := filepath.Glob(out + "-*/part-*")
	if err != nil || len(parts) == 0 {
		t.Fatalf("no output files under %s: %v", out, err)
	}
	var saved strings.Builder
	for _, p := range parts {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		saved.Write(b)
	}
	for _, want := range []string{"(be,2)\n", "(to,2)\n", "(not,1)\n"} {
		if !strings.Contains(saved.String(), want) {
			t.Errorf("saved output lacks %q:\n%s", want, saved.String())
		}
	}
}

// TestReliableCount runs the reliable count twice on one checkpoint
// directory, as its doc comment says, without configuration: the receiver
// WAL is on by default, so the second run resends from the offset the WAL
// kept, and the state counts every acknowledged record once.
func TestReliableCount(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	args := []string{"-out", filepath.Join(dir, "state"), "-acked", filepath.Join(dir, "acked"),
		"-checkpoint", filepath.Join(dir, "checkpoint"), "-batch", "200ms", "-rate", "2000", "-chunk", "20", "-words", "7", "-duration", "2s"}
	for i := range 2 {
		r := start(t, "reliablecount", args...)
		r.wait(t)
		if i == 1 && !strings.Contains(r.stderr.String(), "resending from offset") {
			t.Errorf("the second run did not resume:\n%s", r.stderr.String())
		}
		if _, err := os.Stat(filepath.Join(dir, "checkpoint", "receivedData")); err != nil {
			t.Errorf("run %d wrote no receiver write-ahead log: %v", i+1, err)
		}
		acked, err := os.ReadFile(filepath.Join(dir, "acked"))
		if err != nil {
			t.Fatal(err)
		}
		n, err := strconv.Atoi(string(acked))
		if err != nil {
			t.Fatal(err)
		}
		state, err := os.ReadFile(filepath.Join(dir, "state"))
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{}
		for j := range n {
			want[fmt.Sprintf("w%d", j%7)]++
		}
		got := map[string]int{}
		for line := range strings.SplitSeq(strings.TrimSpace(string(state)), "\n") {
			w, c, _ := strings.Cut(line, " ")
			got[w], _ = strconv.Atoi(c)
		}
		if !maps.Equal(got, want) {
			t.Errorf("run %d: %d records acknowledged; state %v, want %v", i+1, n, got, want)
		}
	}
}

// TestIncompleteStopExitsNonZero: a graceful stop that gives up (every
// batch's sink is slower than the graceful-stop timeout) ends the local
// driver with a non-zero exit and the counts on stderr, whether the stop
// marker was deleted or SIGTERM came with stopGracefullyOnShutdown.
func TestIncompleteStopExitsNonZero(t *testing.T) {
	for _, how := range []string{"marker", "SIGTERM"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			marker := filepath.Join(dir, "marker")
			r := startEnv(t, []string{"GOSTREAM_STREAMING_RECEIVER_WRITEAHEADLOG_ENABLE=true",
				"GOSTREAM_STREAMING_STOPMARKER=" + marker, "GOSTREAM_STREAMING_STOPMARKER_POLLINTERVAL=100ms",
				"GOSTREAM_STREAMING_GRACEFULSTOPTIMEOUT=1s", "GOSTREAM_STREAMING_STOPGRACEFULLYONSHUTDOWN=true"},
				"reliablecount", "-out", filepath.Join(dir, "state"), "-acked", filepath.Join(dir, "acked"),
				"-checkpoint", filepath.Join(dir, "checkpoint"), "-batch", "200ms", "-rate", "1000", "-chunk", "20",
				"-sink-delay", "1m")
			r.waitFor(t, `msg="streaming context started"`)
			deadline := time.Now().Add(10 * time.Second)
			for { // some data acknowledged
				if _, err := os.Stat(filepath.Join(dir, "acked")); err == nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("nothing acknowledged in 10s:\n%s", r.stderr.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			if how == "marker" {
				if err := os.Remove(marker); err != nil {
					t.Fatal(err)
				}
			} else if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-r.done:
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.ExitCode() == 0 {
					t.Errorf("after a stop that gave up: %v, want a non-zero exit", err)
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("the driver did not exit after the stop:\n%s", r.stderr.String())
			}
			for _, want := range []string{"graceful stop incomplete", "records were not processed", "kept in the write-ahead log for the next start"} {
				if !strings.Contains(r.stderr.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.stderr.String())
				}
			}
		})
	}
}

func TestBadFlagsExit2(t *testing.T) {
	t.Parallel()
	for _, e := range examples {
		r := start(t, e, "-batch", "-1s")
		err := <-r.done
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
			t.Errorf("%s -batch -1s: %v, want exit status 2\nstderr:\n%s", e, err, r.stderr.String())
		}
	}
}

// TestReliableCountWALCanBeTurnedOff: the example's default is the
// operator's to override.
func TestReliableCountWALCanBeTurnedOff(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := startEnv(t, []string{"GOSTREAM_STREAMING_RECEIVER_WRITEAHEADLOG_ENABLE=false"}, "reliablecount",
		"-out", filepath.Join(dir, "state"), "-acked", filepath.Join(dir, "acked"),
		"-checkpoint", filepath.Join(dir, "checkpoint"), "-batch", "200ms", "-rate", "2000", "-chunk", "20", "-duration", "1s")
	r.wait(t)
	if _, err := os.Stat(filepath.Join(dir, "checkpoint", "receivedData")); !os.IsNotExist(err) {
		t.Errorf("with the write-ahead log turned off, receivedData: %v, want none", err)
	}
}
