package hdfsstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
)

// Exists reports whether name exists. Errors other than "not found" are
// returned, never taken as "absent": a flaky HDFS must not look like a deleted
// marker file.
func Exists(ctx context.Context, fsys FS, name string) (bool, error) {
	_, err := fsys.Stat(ctx, name)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	default:
		return false, err
	}
}

// ReadFile reads a whole committed file.
func ReadFile(ctx context.Context, fsys FS, name string) ([]byte, error) {
	r, err := fsys.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return b, nil
}

// WriteFileAtomic makes name hold data, all or nothing: it writes a temporary
// sibling, commits it, then renames it over name. A crash leaves either the old
// file or the new one, plus at most a stray temporary file (".tmp-" prefix).
// On a file system with a retry policy the whole is tried again after a
// transient fault.
func WriteFileAtomic(ctx context.Context, fsys FS, name string, data []byte) error {
	return Retry(ctx, fsys, "write", name, func(ctx context.Context) error {
		tmp := path.Join(path.Dir(name), TempPrefix+path.Base(name))
		if err := fsys.RemoveAll(ctx, tmp); err != nil {
			return fmt.Errorf("clear stale %s: %w", tmp, err)
		}
		w, err := fsys.Create(ctx, tmp)
		if err != nil {
			return err
		}
		if _, err := w.Write(data); err != nil {
			_ = w.Abort(ctx)
			return fmt.Errorf("write %s: %w", tmp, err)
		}
		if err := w.Commit(ctx); err != nil {
			_ = w.Abort(ctx)
			return err
		}
		return fsys.Rename(ctx, tmp, name)
	})
}

// TempPrefix starts the names of files that are not yet in place; listings of
// data directories skip them.
const TempPrefix = ".tmp-"
