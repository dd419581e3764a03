package hdfsstore

import (
	"context"
	"io"
	"io/fs"
	"path/filepath"
	"testing"
)

// faultFS wraps an FS and lets a test make single operations fail or change
// what Open returns.
type faultFS struct {
	FS
	readDirErr error
	removeErr  func(name string) error
	commitErr  error
	openWrap   func(io.ReadCloser) io.ReadCloser
	openErr    func(name string) error
}

func (f *faultFS) ReadDir(ctx context.Context, name string) ([]fs.FileInfo, error) {
	if f.readDirErr != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: f.readDirErr}
	}
	return f.FS.ReadDir(ctx, name)
}

func (f *faultFS) Remove(ctx context.Context, name string) error {
	if f.removeErr != nil {
		if err := f.removeErr(name); err != nil {
			return err
		}
	}
	return f.FS.Remove(ctx, name)
}

func (f *faultFS) Create(ctx context.Context, name string) (Writer, error) {
	w, err := f.FS.Create(ctx, name)
	if err != nil || f.commitErr == nil {
		return w, err
	}
	return &failCommitWriter{Writer: w, err: f.commitErr}, nil
}

func (f *faultFS) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	if f.openErr != nil {
		if err := f.openErr(name); err != nil {
			return nil, err
		}
	}
	r, err := f.FS.Open(ctx, name)
	if err != nil || f.openWrap == nil {
		return r, err
	}
	return f.openWrap(r), nil
}

type failCommitWriter struct {
	Writer
	err error
}

func (w *failCommitWriter) Commit(ctx context.Context) error { return w.err }

// plainReader hides ReaderAt, Seeker and Stat: the slowest reader ReadRecord
// must cope with.
type plainReader struct{ io.ReadCloser }

// seekReader keeps only Read, Seek and Close.
type seekReader struct {
	io.ReadSeekCloser
}

// tempDir returns a fresh directory in slash form, as FS names are.
func testDir(t *testing.T) string {
	return filepath.ToSlash(t.TempDir())
}
