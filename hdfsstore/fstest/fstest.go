// Package fstest is the contract every hdfsstore.FS implementation must meet,
// as a test suite. An implementation's tests call Run with a constructor; the
// local FS runs it on a temporary directory, the HDFS FS against a real
// cluster. The suite checks only what hdfsstore.FS documents, so anything it
// accepts can be relied on by the WAL, checkpoints and the engine.
package fstest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"path"
	"strings"
	"testing"

	"github.com/gostream/gostream/hdfsstore"
)

// Run runs the contract suite. newFS is called once per subtest and returns
// the file system and an existing, empty directory (slash-separated,
// absolute) the subtest may fill; cleaning it up is newFS's job (for example
// with t.Cleanup).
func Run(t *testing.T, newFS func(t *testing.T) (fsys hdfsstore.FS, root string)) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, fsys hdfsstore.FS, root string)
	}{
		{"CreateCommitOpen", testCreateCommitOpen},
		{"EmptyFile", testEmptyFile},
		{"LargeFile", testLargeFile},
		{"CreateExistingCommitted", testCreateExistingCommitted},
		{"CreateExistingOpen", testCreateExistingOpen},
		{"CreateMissingParent", testCreateMissingParent},
		{"UncommittedNotAtTarget", testUncommittedNotAtTarget},
		{"Abort", testAbort},
		{"AbortAfterFailedCommit", testAbortAfterFailedCommit},
		{"AbortAfterCommitKeepsFile", testAbortAfterCommitKeepsFile},
		{"WriteAfterCommit", testWriteAfterCommit},
		{"Rename", testRename},
		{"RenameOverwrites", testRenameOverwrites},
		{"RenameMissing", testRenameMissing},
		{"Remove", testRemove},
		{"RemoveMissing", testRemoveMissing},
		{"RemoveNonEmptyDir", testRemoveNonEmptyDir},
		{"RemoveAll", testRemoveAll},
		{"MkdirAll", testMkdirAll},
		{"MkdirAllOverFile", testMkdirAllOverFile},
		{"ReadDir", testReadDir},
		{"ReadDirEmpty", testReadDirEmpty},
		{"ReadDirMissing", testReadDirMissing},
		{"ReadDirOfFile", testReadDirOfFile},
		{"Stat", testStat},
		{"StatMissing", testStatMissing},
		{"OpenMissing", testOpenMissing},
		{"Exists", testExists},
		{"ReadFile", testReadFile},
		{"WriteFileAtomic", testWriteFileAtomic},
		{"WriteFileAtomicStaleTemp", testWriteFileAtomicStaleTemp},
		{"CancelledContext", testCancelledContext},
		{"String", testString},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fsys, root := newFS(t)
			tc.fn(t, fsys, root)
		})
	}
}

func testCreateCommitOpen(t *testing.T, fsys hdfsstore.FS, root string) {
	ctx := t.Context()
	name := path.Join(root, "f")
	w, err := fsys.Create(ctx, name)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	for _, part := range []string{"hello, ", "", "world"} {
		if n, err := w.Write([]byte(part)); err != nil || n != len(part) {
			t.Fatalf("Write(%q) = %d, %v", part, n, err)
		}
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if got := readAll(t, fsys, name); got != "hello, world" {
		t.Fatalf("read back %q, want %q", got, "hello, world")
	}
}

func testEmptyFile(t *testing.T, fsys hdfsstore.FS, root string) {
	name := path.Join(root, "empty")
	writeFile(t, fsys, name, "")
	if got := readAll(t, fsys, name); got != "" {
		t.Fatalf("read back %q, want empty", got)
	}
	info, err := fsys.Stat(t.Context(), name)
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if info.Size() != 0 || info.IsDir() {
		t.Fatalf("Stat: size %d dir %v, want 0 false", info.Size(), info.IsDir())
	}
}

// testLargeFile crosses buffer and (small test cluster) block boundaries.
func testLargeFile(t *testing.T, fsys hdfsstore.FS, root string) {
	ctx := t.Context()
	data := make([]byte, 3<<20+12345)
	for i := range data {
		data[i] = byte(i*7 + i>>11)
	}
	name := path.Join(root, "large")
	w, err := fsys.Create(ctx, name)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	for rest := data; len(rest) > 0; {
		n := min(len(rest), 100_000)
		if _, err := w.Write(rest[:n]); err != nil {
			t.Fatalf("Write: %v", err)
		}
		rest = rest[n:]
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	got, err := hdfsstore.ReadFile(ctx, fsys, name)
	if err != nil {
		t.Fatalf("ReadFile: %v", err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes that differ from the %d written", len(got), len(data))
	}
	info, err := fsys.Stat(ctx, name)
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if info.Size() != int64(len(data)) {
		t.Fatalf("Stat size %d, want %d", info.Size(), len(data))
	}
}

func testCreateExistingCommitted(t *testing.T, fsys hdfsstore.FS, root string) {
	ctx := t.Context()
	name := path.Join(root, "f")
	writeFile(t, fsys, name, "old")
	w, err := fsys.Create(ctx, name)
	if err == nil {
		// Whatever it does, it must not append or truncate.
		_, _ = w.Write([]byte("new"))
		_ = w.Abort(ctx)
		t.Fatalf("Create of an existing file succeeded, want fs.ErrExist")
	}
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("Create of an existing file: %v, want fs.ErrExist", err)
	}
	if got := readAll(t, fsys, name); got != "old" {
		t.Fatalf("existing file now holds %q, want %q", got, "old")
	}
}

// testCreateExistingOpen: a file still being written (perhaps by a writer
// that crashed) takes its name too.
func testCreateExistingOpen(t *testing.T, fsys hdfsstore.FS, root string) {
	ctx := t.Context()
	name := path.Join(root, "f")
	w, err := fsys.Create(ctx, name)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	defer w.Abort(ctx)
	if _, err := w.Write([]byte("partial")); err != nil {
		t.Fatalf("Write: %v", err)
	}
	w2, err := fsys.Create(ctx, name)
	if err == nil {
		_ = w2.Abort(ctx)
		t.Fatalf("Create of a name held by an open writer succeeded, want fs.ErrExist")
	}
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("Create of a name held by an open writer: %v, want fs.ErrExist", err)
	}
}

func testCreateMissingParent(t *testing.T, fsys hdfsstore.FS, root string) {
	ctx := t.Context()
	w, err := fsys.Create(ctx, path.Join(root, "no", "such", "f"))
	if err == nil {
		_ = w.Abort(ctx)
		t.Fatalf("Create in a missing directory succeeded, want fs.ErrNotExist")
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Create in a missing directory: %v, want fs.ErrNotExist", err)
	}
}

// testUncommittedNotAtTarget: WriteFileAtomic's target shows only committed
// content, never the temporary file a writer is still filling or left behind.
func testUncommittedNotAtTarget(t *testing.T, fsys hdfsstore.FS, root string) {
	ctx := t.Context()
	target := path.Join(root, "marker")
	if err := hdfsstore.WriteFileAtomic(ctx, fsys, target, []byte("v1")); err != nil {
		t.Fatalf("WriteFileAtomic: %v", err)
	}
	tmp := path.Join(root, hdfsstore.TempPrefix+"marker")
	w, err := fsys.Create(ctx, tmp)
	if err != nil {
		t.Fatalf("Create temp: %v", err)
	}
	if _, err := w.Write([]byte("half-written")); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if got := readAll(t, fsys, target); got != "v1" {
		t.Fatalf("target holds %q while a temp file is open, want %q", got, "v1")
	}
	if err := w.Abort(ctx); err != nil {
		t.Fatalf("Abort: %v", err)
	}
	if got := readAll(t, fsys, target); got != "v1" {
		t.Fatalf("target holds %q after the temp was aborted, want %q", got, "v1")
	}

	fresh := path.Join(root, "never")
	tmp = path.Join(root, hdfsstore.TempPrefix+"never")
	w, err = fsys.Create(ctx, tmp)
	if err != nil {
		t.Fatalf("Create temp: %v", err)
	}
	if _, err := w.Write([]byte("half-written")); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if ok, err := hdfsstore.Exists(ctx, fsys, fresh); err != nil || ok {
		t.Fatalf("Exists(target of an uncommitted write) = %v, %v; want false, nil", ok, err)
	}
	_ = w.Abort(ctx)
}

func testAbort(t *testing.T, fsys hdfsstore.FS, root string) {
	ctx := t.Context()
	name := path.Join(root, "f")
	w, err := fsys.Create(ctx, name)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := w.Write([]byte("doomed")); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if err := w.Abort(ctx); err != nil {
		t.Fatalf("Abort: %v", err)
	}
	if _, err := fsys.Stat(ctx, name); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Stat after Abort: %v, want fs.ErrNotExist", err)
	}
	writeFile(t, fsys, name, "again") // the name is free again
	if got := readAll(t, fsys, name); got != "again" {
		t.Fatalf("read back %q, want %q", got, "again")
	}
}

// testAbortAfterFailedCommit fails Commit the one portable way, with a
// cancelled context, then checks that Abort still removes the file.
func testAbortAfterFailedCommit(t *testing.T, fsys hdfsstore.FS, root string) {
	ctx := t.Context()
	name := path.Join(root, "f")
	w, err := fsys.Create(ctx, name)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := w.Write([]byte("doomed")); err != nil {
		t.Fatalf("Write: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := w.Commit(cctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Commit with a cancelled context: %v, want context.Canceled", err)
	}
	if err := w.Abort(ctx); err != nil {
		t.Fatalf("Abort after failed Commit: %v", err)
	}
	if _, err := fsys.Stat(ctx, name); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Stat after Abort: %v, want fs.ErrNotExist", err)
	}
}

func testAbortAfterCommitKeepsFile(t *testing.T, fsys hdfsstore.FS, root string) {
	ctx := t.Context()
	name := path.Join(root, "f")
	w, err := fsys.Create(ctx, name)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := w.Write([]byte("kept")); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	_ = w.Abort(ctx) // may return an error; must not remove
	if got := readAll(t, fsys, name); got != "kept" {
		t.Fatalf("after Commit then Abort the file holds %q, want %q", got, "kept")
	}
}

func testWriteAfterCommit(t *testing.T, fsys hdfsstore.FS, root string) {
	ctx := t.Context()
	name := path.Join(root, "f")
	w, err := fsys.Create(ctx, name)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := w.Write([]byte("a")); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if _, err := w.Write([]byte("b")); err == nil {
		t.Fatalf("Write after Commit succeeded, want an error")
	}
	if err := w.Commit(ctx); err == nil {
		t.Fatalf("second Commit succeeded, want an error")
	}
	if got := readAll(t, fsys, name); got != "a" {
		t.Fatalf("read back %q, want %q", got, "a")
	}
}

func testRename(t *testing.T, fsys hdfsstore.FS, root string) {
	ctx := t.Context()
	a, b := path.Join(root, "a"), path.Join(root, "b")
	writeFile(t, fsys, a, "content")
	if err := fsys.Rename(ctx, a, b); err != nil {
		t.Fatalf("Rename: %v", err)
	}
	if got := readAll(t, fsys, b); got != "content" {
		t.Fatalf("target holds %q, want %q", got, "content")
	}
	if _, err := fsys.Stat(ctx, a); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Stat of the source after Rename: %v, want fs.ErrNotExist", err)
	}
	// Across directories.
	sub := path.Join(root, "sub")
	if err := fsys.MkdirAll(ctx, sub, 0o755); err != nil {
		t.Fatalf("MkdirAll: %v", err)
	}
	c := path.Join(sub, "c")
	if err := fsys.Rename(ctx, b, c); err != nil {
		t.Fatalf("Rename across directories: %v", err)
	}
	if got := readAll(t, fsys, c); got != "content" {
		t.Fatalf("target holds %q, want %q", got, "content")
	}
}

func testRenameOverwrites(t *testing.T, fsys hdfsstore.FS, root string) {
	ctx := t.Context()
	a, b := path.Join(root, "a"), path.Join(root, "b")
	writeFile(t, fsys, a, "new")
	writeFile(t, fsys, b, "old content, longer")
	if err := fsys.Rename(ctx, a, b); err != nil {
		t.Fatalf("Rename over an existing file: %v", err)
	}
	if got := readAll(t, fsys, b); got != "new" {
		t.Fatalf("target holds %q, want %q", got, "new")
	}
	if _, err := fsys.Stat(ctx, a); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Stat of the source after Rename: %v, want fs.ErrNotExist", err)
	}
}

func testRenameMissing(t *testing.T, fsys hdfsstore.FS, root string) {
	err := fsys.Rename(t.Context(), path.Join(root, "missing"), path.Join(root, "b"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Rename of a missing file: %v, want fs.ErrNotExist", err)
	}
}

func testRemove(t *testing.T, fsys hdfsstore.FS, root string) {
	ctx := t.Context()
	name := path.Join(root, "f")
	writeFile(t, fsys, name, "x")
	if err := fsys.Remove(ctx, name); err != nil {
		t.Fatalf("Remove of a file: %v", err)
	}
	if _, err := fsys.Stat(ctx, name); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Stat after Remove: %v, want fs.ErrNotExist", err)
	}
	dir := path.Join(root, "d")
	if err := fsys.MkdirAll(ctx, dir, 0o755); err != nil {
		t.Fatalf("MkdirAll: %v", err)
	}
	if err := fsys.Remove(ctx, dir); err != nil {
		t.Fatalf("Remove of an empty directory: %v", err)
	}
	if _, err := fsys.Stat(ctx, dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Stat after Remove: %v, want fs.ErrNotExist", err)
	}
}

func testRemoveMissing(t *testing.T, fsys hdfsstore.FS, root string) {
	if err := fsys.Remove(t.Context(), path.Join(root, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Remove of a missing file: %v, want fs.ErrNotExist", err)
	}
}

func testRemoveNonEmptyDir(t *testing.T, fsys hdfsstore.FS, root string) {
	ctx := t.Context()
	dir := path.Join(root, "d")
	if err := fsys.MkdirAll(ctx, dir, 0o755); err != nil {
		t.Fatalf("MkdirAll: %v", err)
	}
	writeFile(t, fsys, path.Join(dir, "f"), "x")
	if err := fsys.Remove(ctx, dir); err == nil {
		t.Fatalf("Remove of a non-empty directory succeeded, want an error")
	}
	if got := readAll(t, fsys, path.Join(dir, "f")); got != "x" {
		t.Fatalf("file in the directory holds %q, want %q", got, "x")
	}
}

func testRemoveAll(t *testing.T, fsys hdfsstore.FS, root string) {
	ctx := t.Context()
	if err := fsys.RemoveAll(ctx, path.Join(root, "missing")); err != nil {
		t.Fatalf("RemoveAll of a missing name: %v, want nil", err)
	}
	dir := path.Join(root, "d")
	if err := fsys.MkdirAll(ctx, path.Join(dir, "x", "y"), 0o755); err != nil {
		t.Fatalf("MkdirAll: %v", err)
	}
	writeFile(t, fsys, path.Join(dir, "f"), "1")
	writeFile(t, fsys, path.Join(dir, "x", "y", "g"), "2")
	if err := fsys.RemoveAll(ctx, dir); err != nil {
		t.Fatalf("RemoveAll of a tree: %v", err)
	}
	if _, err := fsys.Stat(ctx, dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Stat after RemoveAll: %v, want fs.ErrNotExist", err)
	}
	f := path.Join(root, "f")
	writeFile(t, fsys, f, "1")
	if err := fsys.RemoveAll(ctx, f); err != nil {
		t.Fatalf("RemoveAll of a file: %v", err)
	}
	if _, err := fsys.Stat(ctx, f); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Stat after RemoveAll: %v, want fs.ErrNotExist", err)
	}
}

func testMkdirAll(t *testing.T, fsys hdfsstore.FS, root string) {
	ctx := t.Context()
	dir := path.Join(root, "a", "b", "c")
	for i := range 2 { // the second call must be a no-op
		if err := fsys.MkdirAll(ctx, dir, 0o755); err != nil {
			t.Fatalf("MkdirAll (call %d): %v", i+1, err)
		}
	}
	for _, d := range []string{path.Join(root, "a"), path.Join(root, "a", "b"), dir} {
		info, err := fsys.Stat(ctx, d)
		if err != nil {
			t.Fatalf("Stat(%s): %v", d, err)
		}
		if !info.IsDir() {
			t.Fatalf("Stat(%s).IsDir() = false", d)
		}
	}
	writeFile(t, fsys, path.Join(dir, "f"), "x") // usable as a parent
	if err := fsys.MkdirAll(ctx, root, 0o755); err != nil {
		t.Fatalf("MkdirAll of an existing directory: %v", err)
	}
}

func testMkdirAllOverFile(t *testing.T, fsys hdfsstore.FS, root string) {
	ctx := t.Context()
	f := path.Join(root, "f")
	writeFile(t, fsys, f, "x")
	if err := fsys.MkdirAll(ctx, f, 0o755); err == nil {
		t.Fatalf("MkdirAll over a file succeeded, want an error")
	}
	if err := fsys.MkdirAll(ctx, path.Join(f, "sub"), 0o755); err == nil {
		t.Fatalf("MkdirAll below a file succeeded, want an error")
	}
}

func testReadDir(t *testing.T, fsys hdfsstore.FS, root string) {
	ctx := t.Context()
	files := map[string]string{"b": "bb", "a": "a", "c.x": "", "B": "BBBB", "a.b": "ab"}
	for name, data := range files {
		writeFile(t, fsys, path.Join(root, name), data)
	}
	if err := fsys.MkdirAll(ctx, path.Join(root, "dir"), 0o755); err != nil {
		t.Fatalf("MkdirAll: %v", err)
	}
	infos, err := fsys.ReadDir(ctx, root)
	if err != nil {
		t.Fatalf("ReadDir: %v", err)
	}
	var names []string
	for _, info := range infos {
		names = append(names, info.Name())
		if info.Name() == "dir" {
			if !info.IsDir() {
				t.Errorf("entry %q: IsDir() = false", info.Name())
			}
			continue
		}
		if info.IsDir() {
			t.Errorf("entry %q: IsDir() = true", info.Name())
		}
		if want := int64(len(files[info.Name()])); info.Size() != want {
			t.Errorf("entry %q: Size() = %d, want %d", info.Name(), info.Size(), want)
		}
	}
	want := []string{"B", "a", "a.b", "b", "c.x", "dir"} // byte order
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("ReadDir names %q, want %q", names, want)
	}
}

func testReadDirEmpty(t *testing.T, fsys hdfsstore.FS, root string) {
	infos, err := fsys.ReadDir(t.Context(), root)
	if err != nil {
		t.Fatalf("ReadDir of an empty directory: %v", err)
	}
	if len(infos) != 0 {
		t.Fatalf("ReadDir of an empty directory returned %d entries", len(infos))
	}
}

func testReadDirMissing(t *testing.T, fsys hdfsstore.FS, root string) {
	_, err := fsys.ReadDir(t.Context(), path.Join(root, "missing"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("ReadDir of a missing directory: %v, want fs.ErrNotExist", err)
	}
}

func testReadDirOfFile(t *testing.T, fsys hdfsstore.FS, root string) {
	f := path.Join(root, "f")
	writeFile(t, fsys, f, "x")
	if _, err := fsys.ReadDir(t.Context(), f); err == nil {
		t.Fatalf("ReadDir of a file succeeded, want an error")
	}
}

func testStat(t *testing.T, fsys hdfsstore.FS, root string) {
	ctx := t.Context()
	f := path.Join(root, "f")
	writeFile(t, fsys, f, "12345")
	info, err := fsys.Stat(ctx, f)
	if err != nil {
		t.Fatalf("Stat of a file: %v", err)
	}
	if info.IsDir() || info.Size() != 5 || info.Name() != "f" {
		t.Fatalf("Stat of a file: name %q dir %v size %d, want \"f\" false 5", info.Name(), info.IsDir(), info.Size())
	}
	if !info.Mode().IsRegular() {
		t.Fatalf("Stat of a file: mode %v is not regular", info.Mode())
	}
	info, err = fsys.Stat(ctx, root)
	if err != nil {
		t.Fatalf("Stat of a directory: %v", err)
	}
	if !info.IsDir() || !info.Mode().IsDir() {
		t.Fatalf("Stat of a directory: IsDir() = false")
	}
}

func testStatMissing(t *testing.T, fsys hdfsstore.FS, root string) {
	if _, err := fsys.Stat(t.Context(), path.Join(root, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Stat of a missing name: %v, want fs.ErrNotExist", err)
	}
}

func testOpenMissing(t *testing.T, fsys hdfsstore.FS, root string) {
	r, err := fsys.Open(t.Context(), path.Join(root, "missing"))
	if err == nil {
		r.Close()
		t.Fatalf("Open of a missing file succeeded")
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Open of a missing file: %v, want fs.ErrNotExist", err)
	}
	if _, err := hdfsstore.ReadFile(t.Context(), fsys, path.Join(root, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("ReadFile of a missing file: %v, want fs.ErrNotExist", err)
	}
}

func testExists(t *testing.T, fsys hdfsstore.FS, root string) {
	ctx := t.Context()
	f := path.Join(root, "f")
	if ok, err := hdfsstore.Exists(ctx, fsys, f); ok || err != nil {
		t.Fatalf("Exists(missing) = %v, %v; want false, nil", ok, err)
	}
	writeFile(t, fsys, f, "x")
	if ok, err := hdfsstore.Exists(ctx, fsys, f); !ok || err != nil {
		t.Fatalf("Exists(file) = %v, %v; want true, nil", ok, err)
	}
	if ok, err := hdfsstore.Exists(ctx, fsys, root); !ok || err != nil {
		t.Fatalf("Exists(dir) = %v, %v; want true, nil", ok, err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := hdfsstore.Exists(cctx, fsys, f); !errors.Is(err, context.Canceled) {
		t.Fatalf("Exists with a cancelled context: %v, want context.Canceled (an error is never \"absent\")", err)
	}
}

func testReadFile(t *testing.T, fsys hdfsstore.FS, root string) {
	f := path.Join(root, "f")
	writeFile(t, fsys, f, "the content\n")
	got, err := hdfsstore.ReadFile(t.Context(), fsys, f)
	if err != nil {
		t.Fatalf("ReadFile: %v", err)
	}
	if string(got) != "the content\n" {
		t.Fatalf("ReadFile = %q, want %q", got, "the content\n")
	}
}

func testWriteFileAtomic(t *testing.T, fsys hdfsstore.FS, root string) {
	ctx := t.Context()
	target := path.Join(root, "target")
	for _, v := range []string{"first version, long", "second", ""} {
		if err := hdfsstore.WriteFileAtomic(ctx, fsys, target, []byte(v)); err != nil {
			t.Fatalf("WriteFileAtomic(%q): %v", v, err)
		}
		if got := readAll(t, fsys, target); got != v {
			t.Fatalf("target holds %q, want %q", got, v)
		}
		if names := list(t, fsys, root); strings.Join(names, ",") != "target" {
			t.Fatalf("directory holds %q, want only the target (no temporary file)", names)
		}
	}
}

// testWriteFileAtomicStaleTemp: a temporary file left by a crashed writer
// does not block the next write.
func testWriteFileAtomicStaleTemp(t *testing.T, fsys hdfsstore.FS, root string) {
	ctx := t.Context()
	target := path.Join(root, "target")
	writeFile(t, fsys, path.Join(root, hdfsstore.TempPrefix+"target"), "stale")
	if err := hdfsstore.WriteFileAtomic(ctx, fsys, target, []byte("fresh")); err != nil {
		t.Fatalf("WriteFileAtomic over a stale temp file: %v", err)
	}
	if got := readAll(t, fsys, target); got != "fresh" {
		t.Fatalf("target holds %q, want %q", got, "fresh")
	}
	if names := list(t, fsys, root); strings.Join(names, ",") != "target" {
		t.Fatalf("directory holds %q, want only the target", names)
	}
}

// testCancelledContext: every call taking a context fails with the context's
// error once it is done, and changes nothing.
func testCancelledContext(t *testing.T, fsys hdfsstore.FS, root string) {
	ctx := t.Context()
	f := path.Join(root, "f")
	writeFile(t, fsys, f, "x")
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	dctx, dcancel := context.WithTimeout(ctx, -1)
	defer dcancel()

	calls := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"Create", func(ctx context.Context) error {
			w, err := fsys.Create(ctx, path.Join(root, "new"))
			if err == nil {
				_ = w.Abort(t.Context())
			}
			return err
		}},
		{"Open", func(ctx context.Context) error {
			r, err := fsys.Open(ctx, f)
			if err == nil {
				r.Close()
			}
			return err
		}},
		{"ReadDir", func(ctx context.Context) error { _, err := fsys.ReadDir(ctx, root); return err }},
		{"Stat", func(ctx context.Context) error { _, err := fsys.Stat(ctx, f); return err }},
		{"Rename", func(ctx context.Context) error { return fsys.Rename(ctx, f, path.Join(root, "g")) }},
		{"Remove", func(ctx context.Context) error { return fsys.Remove(ctx, f) }},
		{"RemoveAll", func(ctx context.Context) error { return fsys.RemoveAll(ctx, f) }},
		{"MkdirAll", func(ctx context.Context) error { return fsys.MkdirAll(ctx, path.Join(root, "d"), 0o755) }},
		{"ReadFile", func(ctx context.Context) error { _, err := hdfsstore.ReadFile(ctx, fsys, f); return err }},
		{"WriteFileAtomic", func(ctx context.Context) error {
			return hdfsstore.WriteFileAtomic(ctx, fsys, path.Join(root, "h"), []byte("y"))
		}},
	}
	for _, c := range calls {
		if err := c.call(cctx); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: %v, want context.Canceled", c.name, err)
		}
		if err := c.call(dctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s with an expired deadline: %v, want context.DeadlineExceeded", c.name, err)
		}
	}
	if names := list(t, fsys, root); strings.Join(names, ",") != "f" {
		t.Errorf("after calls with a cancelled context the directory holds %q, want only \"f\"", names)
	}
	if got := readAll(t, fsys, f); got != "x" {
		t.Errorf("file holds %q, want %q", got, "x")
	}
}

func testString(t *testing.T, fsys hdfsstore.FS, _ string) {
	if fsys.String() == "" {
		t.Fatalf("String() is empty; it names the file system in messages")
	}
}

// writeFile creates and commits name with data.
func writeFile(t *testing.T, fsys hdfsstore.FS, name, data string) {
	t.Helper()
	ctx := t.Context()
	w, err := fsys.Create(ctx, name)
	if err != nil {
		t.Fatalf("Create(%s): %v", name, err)
	}
	if _, err := io.WriteString(w, data); err != nil {
		_ = w.Abort(ctx)
		t.Fatalf("Write(%s): %v", name, err)
	}
	if err := w.Commit(ctx); err != nil {
		_ = w.Abort(ctx)
		t.Fatalf("Commit(%s): %v", name, err)
	}
}

// readAll reads name through Open (not ReadFile, which is tested on its own).
func readAll(t *testing.T, fsys hdfsstore.FS, name string) string {
	t.Helper()
	r, err := fsys.Open(t.Context(), name)
	if err != nil {
		t.Fatalf("Open(%s): %v", name, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return string(b)
}

func list(t *testing.T, fsys hdfsstore.FS, dir string) []string {
	t.Helper()
	infos, err := fsys.ReadDir(t.Context(), dir)
	if err != nil {
		t.Fatalf("ReadDir(%s): %v", dir, err)
	}
	names := make([]string, len(infos))
	for i, info := range infos {
		names[i] = info.Name()
	}
	return names
}
