package hdfsstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
)

// retryFS is an FS whose calls wait out transient faults (RetryPolicy): it
// gets the file system for each try from connect, so a NameNode that was
// down when the path was resolved is connected to once it is back.
//
// Retrying a call that failed may meet the effect of the failed try (the
// NameNode did it, the answer was lost): a Remove that finds nothing, or a
// Rename whose source is gone and target there, then succeeds; a Create
// that finds the file says so.
type retryFS struct {
	name    string // String
	policy  *RetryPolicy
	connect func(ctx context.Context) (FS, error)
}

// newRetryFS wraps an FS that is already connected.
func newRetryFS(fsys FS, policy *RetryPolicy) FS {
	return &retryFS{name: fsys.String(), policy: policy,
		connect: func(context.Context) (FS, error) { return fsys, nil }}
}

func (f *retryFS) String() string { return f.name }

// do runs fn on the file system under the policy.
func (f *retryFS) do(ctx context.Context, op, name string, fn func(ctx context.Context, fsys FS) error) error {
	return f.policy.Do(ctx, op, name, func(ctx context.Context) error {
		fsys, err := f.connect(ctx)
		if err != nil {
			return err
		}
		return fn(ctx, fsys)
	})
}

func (f *retryFS) Create(ctx context.Context, name string) (Writer, error) {
	var w Writer
	var earlier error
	err := f.do(ctx, "create", name, func(ctx context.Context, fsys FS) (err error) {
		w, err = fsys.Create(ctx, name)
		if errors.Is(err, fs.ErrExist) && earlier != nil {
			return fmt.Errorf("%w (an earlier try, which failed with %q, may have created it)", err, earlier)
		}
		earlier = err
		return err
	})
	return w, err
}

func (f *retryFS) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	var r io.ReadCloser
	err := f.do(ctx, "open", name, func(ctx context.Context, fsys FS) (err error) {
		r, err = fsys.Open(ctx, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &retryReader{ctx: ctx, f: f, name: name, r: r}, nil
}

func (f *retryFS) ReadDir(ctx context.Context, name string) ([]fs.FileInfo, error) {
	var infos []fs.FileInfo
	err := f.do(ctx, "readdir", name, func(ctx context.Context, fsys FS) (err error) {
		infos, err = fsys.ReadDir(ctx, name)
		return err
	})
	return infos, err
}

func (f *retryFS) Stat(ctx context.Context, name string) (fs.FileInfo, error) {
	var info fs.FileInfo
	err := f.do(ctx, "stat", name, func(ctx context.Context, fsys FS) (err error) {
		info, err = fsys.Stat(ctx, name)
		return err
	})
	return info, err
}

func (f *retryFS) Rename(ctx context.Context, oldname, newname string) error {
	failed := false
	return f.do(ctx, "rename", oldname, func(ctx context.Context, fsys FS) error {
		err := fsys.Rename(ctx, oldname, newname)
		if failed && errors.Is(err, fs.ErrNotExist) {
			if _, serr := fsys.Stat(ctx, newname); serr == nil {
				return nil // the failed try renamed it
			}
		}
		failed = err != nil
		return err
	})
}

func (f *retryFS) Remove(ctx context.Context, name string) error {
	failed := false
	return f.do(ctx, "remove", name, func(ctx context.Context, fsys FS) error {
		err := fsys.Remove(ctx, name)
		if failed && errors.Is(err, fs.ErrNotExist) {
			return nil // the failed try removed it
		}
		failed = err != nil
		return err
	})
}

func (f *retryFS) RemoveAll(ctx context.Context, name string) error {
	return f.do(ctx, "removeall", name, func(ctx context.Context, fsys FS) error { return fsys.RemoveAll(ctx, name) })
}

func (f *retryFS) MkdirAll(ctx context.Context, name string, perm fs.FileMode) error {
	return f.do(ctx, "mkdir", name, func(ctx context.Context, fsys FS) error { return fsys.MkdirAll(ctx, name, perm) })
}

// retryReader reads a file opened through a retryFS. A read that fails with
// a transient error (a DataNode gone, or not yet known to a restarted
// NameNode) opens the file again under the policy and goes on from where it
// was. It keeps Open's ctx for that.
type retryReader struct {
	ctx  context.Context
	f    *retryFS
	name string
	r    io.ReadCloser
	off  int64
}

func (r *retryReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.off += int64(n)
	if n > 0 || !IsTransient(err) {
		return n, err
	}
	err = r.f.do(r.ctx, "read", r.name, func(ctx context.Context, fsys FS) error {
		_ = r.r.Close()
		r.r = io.NopCloser(errReader{err})
		rc, err := fsys.Open(ctx, r.name)
		if err != nil {
			return err
		}
		r.r = rc
		if _, err := io.CopyN(io.Discard, rc, r.off); err != nil {
			if errors.Is(err, io.EOF) {
				return fmt.Errorf("read %s: it is shorter than the %d bytes read before it was opened again", r.name, r.off)
			}
			return err
		}
		n, err = rc.Read(p)
		r.off += int64(n)
		if n > 0 {
			return nil
		}
		return err
	})
	if err != nil && err != io.EOF {
		_ = r.r.Close()
		r.r = io.NopCloser(errReader{err})
	}
	return n, err
}

func (r *retryReader) Close() error { return r.r.Close() }

// errReader fails every Read with err.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

var _ FS = (*retryFS)(nil)
