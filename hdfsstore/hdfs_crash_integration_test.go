//go:build integration

package hdfsstore_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gostream/gostream/hdfsstore"
)

// The WAL crash test runs a writer in a child process (this test binary,
// re-executed with these variables set) and SIGKILLs it in the middle of a
// segment: after the segment's bytes went to the DataNode, before Commit.
const (
	envCrashDir = "GOSTREAM_TEST_WAL_CHILD_DIR"
	envCrashNN  = "GOSTREAM_TEST_WAL_CHILD_NAMENODE"
	crashStream = "recv-0"
	crashAckd   = 4 // segments the child commits before it hangs in a Commit
)

var crashBase = time.Unix(1_800_000_000, 0).UTC()

func crashRecord(seg, rec int) []byte {
	return []byte(fmt.Sprintf("seg%04d-rec%04d|%s", seg, rec, strings.Repeat(strconv.Itoa(seg*1000+rec), 200)))
}

func crashRecords(seg int) [][]byte {
	recs := make([][]byte, 40)
	for i := range recs {
		recs[i] = crashRecord(seg, i)
	}
	return recs
}

// hangingCommitFS hangs in the Commit of the nth file created: the child is
// killed there, with the file's bytes written but not committed.
type hangingCommitFS struct {
	hdfsstore.FS
	n       int
	created int
}

func (f *hangingCommitFS) Create(ctx context.Context, name string) (hdfsstore.Writer, error) {
	w, err := f.FS.Create(ctx, name)
	if err != nil {
		return nil, err
	}
	f.created++
	if f.created != f.n {
		return w, nil
	}
	return &hangingWriter{Writer: w, name: name}, nil
}

type hangingWriter struct {
	hdfsstore.Writer
	name string
}

func (w *hangingWriter) Commit(ctx context.Context) error {
	fmt.Printf("COMMITTING %s\n", w.name)
	time.Sleep(10 * time.Minute) // killed here
	return errors.New("not killed")
}

// TestWALCrashChild is the child's body; it does nothing in a normal run.
func TestWALCrashChild(t *testing.T) {
	dir, nn := os.Getenv(envCrashDir), os.Getenv(envCrashNN)
	if dir == "" {
		t.Skip("child of TestWALCrash only")
	}
	ctx := context.Background()
	h, err := hdfsstore.NewHDFS(ctx, hdfsstore.HDFSOptions{Addresses: []string{nn}, User: "gostream"})
	if err != nil {
		t.Fatal(err)
	}
	wal, err := hdfsstore.NewWAL(&hangingCommitFS{FS: h, n: crashAckd + 1}, dir, crashStream)
	if err != nil {
		t.Fatal(err)
	}
	for seg := 0; ; seg++ {
		start := crashBase.Add(time.Duration(seg) * time.Second)
		ref, err := wal.WriteSegment(ctx, start, start.Add(time.Second), crashRecords(seg))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("ACK %d %s %d\n", seg, ref.Path, len(ref.Records)) // acknowledged only now
	}
}

// TestWALCrash: a writer SIGKILLed in the middle of a segment loses nothing it
// acknowledged; a new process reads back exactly the acknowledged records,
// reports the torn segment instead of reading garbage from it, and can go on
// writing the same stream.
func TestWALCrash(t *testing.T) {
	c, h := clusterHDFS(t, "gostream")
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	dir := testDir(t, h) + "/wal"

	child := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestWALCrashChild$", "-test.count=1")
	child.Env = append(os.Environ(), envCrashDir+"="+dir, envCrashNN+"="+c.NameNode)
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[string]int{} // segment path → segment number
	var torn string
	sc := bufio.NewScanner(out)
	for torn == "" && sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 4 && f[0] == "ACK":
			seg, _ := strconv.Atoi(f[1])
			acked[f[2]] = seg
		case len(f) == 2 && f[0] == "COMMITTING":
			torn = f[1]
		}
	}
	if err := child.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	_ = child.Wait()
	if torn == "" {
		t.Fatalf("the child ended without reaching the hanging Commit (scan: %v); acked %v", sc.Err(), acked)
	}
	if len(acked) != crashAckd {
		t.Fatalf("child acknowledged %d segments before the crash, want %d", len(acked), crashAckd)
	}
	t.Logf("child killed while committing %s after %d acknowledged segments", torn, len(acked))

	// A new process (this one, with its own client) reads the log.
	h2, err := hdfsstore.NewHDFS(ctx, hdfsstore.HDFSOptions{Addresses: []string{c.NameNode}, User: "gostream"})
	if err != nil {
		t.Fatal(err)
	}
	defer h2.Close()
	extra := map[string]int{} // segments written after the crash
	replay := func() (map[int][][]byte, []error) {
		t.Helper()
		wal, err := hdfsstore.NewWAL(h2, dir, crashStream)
		if err != nil {
			t.Fatal(err)
		}
		got := map[int][][]byte{}
		problems, err := wal.Replay(ctx, func(r hdfsstore.Record) error {
			seg, ok := acked[r.Ref.Segment]
			if !ok {
				seg = -1
				for s, n := range extra {
					if s == r.Ref.Segment {
						seg = n
					}
				}
			}
			if seg < 0 {
				return fmt.Errorf("record %q from segment %s, which was never acknowledged", trunc(r.Data), r.Ref.Segment)
			}
			got[seg] = append(got[seg], r.Data)
			return nil
		})
		if err != nil {
			t.Fatalf("Replay: %v", err)
		}
		return got, problems
	}
	check := func(got map[int][][]byte, segs int) {
		t.Helper()
		if len(got) != segs {
			t.Errorf("replay delivered records of %d segments, want %d", len(got), segs)
		}
		for seg := 0; seg < segs; seg++ {
			want := crashRecords(seg)
			if len(got[seg]) != len(want) {
				t.Errorf("segment %d: %d records, want %d", seg, len(got[seg]), len(want))
				continue
			}
			for i := range want {
				if string(got[seg][i]) != string(want[i]) {
					t.Errorf("segment %d record %d = %q, want %q", seg, i, trunc(got[seg][i]), trunc(want[i]))
				}
			}
		}
	}
	got, problems := replay()
	check(got, crashAckd)
	if !reportsPath(problems, torn) {
		t.Errorf("replay problems %v do not report the torn segment %s", problems, torn)
	}
	info, err := h2.Stat(ctx, torn)
	if err != nil {
		t.Fatalf("Stat of the torn segment: %v", err)
	}
	t.Logf("torn segment as the NameNode sees it: %d bytes; problems: %v", info.Size(), problems)

	// The stream goes on: the same time range gets a new name, never the torn file's.
	wal, err := hdfsstore.NewWAL(h2, dir, crashStream)
	if err != nil {
		t.Fatal(err)
	}
	start := crashBase.Add(crashAckd * time.Second)
	ref, err := wal.WriteSegment(ctx, start, start.Add(time.Second), crashRecords(crashAckd))
	if err != nil {
		t.Fatalf("WriteSegment after the crash: %v", err)
	}
	if ref.Path == torn {
		t.Fatalf("new segment reused the torn file's name %s", torn)
	}
	extra[ref.Path] = crashAckd
	got, _ = replay()
	check(got, crashAckd+1)
}

func reportsPath(problems []error, p string) bool {
	for _, e := range problems {
		var ce *hdfsstore.CorruptError
		if errors.As(e, &ce) && ce.Path == p {
			return true
		}
	}
	return false
}

func trunc(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
}
