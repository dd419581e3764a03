package hdfsstore

import "context"

// Fenced returns fsys with fence called before every change that puts
// something in place or takes it away: Writer.Commit, Rename, Remove and
// RemoveAll. An error from fence stops the change and is returned. Create
// and MkdirAll are not fenced: nothing is in place until a commit or a
// rename. A writer holding a Lease passes its Check, so that once fenced
// it can no longer commit anything (the window left: a change already past
// its check).
func Fenced(fsys FS, fence func(context.Context) error) FS {
	return &fencedFS{FS: fsys, fence: fence}
}

type fencedFS struct {
	FS
	fence func(context.Context) error
}

// Unwrap returns the file system beneath the fence (for Retry).
func (f *fencedFS) Unwrap() FS { return f.FS }

func (f *fencedFS) Create(ctx context.Context, name string) (Writer, error) {
	w, err := f.FS.Create(ctx, name)
	if err != nil {
		return nil, err
	}
	return &fencedWriter{Writer: w, fence: f.fence}, nil
}

func (f *fencedFS) Rename(ctx context.Context, oldname, newname string) error {
	if err := f.fence(ctx); err != nil {
		return err
	}
	return f.FS.Rename(ctx, oldname, newname)
}

func (f *fencedFS) Remove(ctx context.Context, name string) error {
	if err := f.fence(ctx); err != nil {
		return err
	}
	return f.FS.Remove(ctx, name)
}

func (f *fencedFS) RemoveAll(ctx context.Context, name string) error {
	if err := f.fence(ctx); err != nil {
		return err
	}
	return f.FS.RemoveAll(ctx, name)
}

type fencedWriter struct {
	Writer
	fence func(context.Context) error
}

// Commit fails without committing when fenced; the caller's Abort then
// removes what was written.
func (w *fencedWriter) Commit(ctx context.Context) error {
	if err := w.fence(ctx); err != nil {
		return err
	}
	return w.Writer.Commit(ctx)
}
