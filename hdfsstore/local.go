package hdfsstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// NewLocal returns the local-disk FS used by local mode and tests. Names are
// OS paths (slash-separated absolute paths on Unix); a relative name resolves
// against the working directory, as in package os.
//
// Durability follows the FS contract: Commit fsyncs the file, closes it and
// fsyncs its directory, so a committed file survives a power cut; Rename and
// MkdirAll fsync the directories whose entries they change.
func NewLocal() FS { return localFS{} }

type localFS struct{}

func (localFS) String() string { return "file:///" }

func (localFS) Create(ctx context.Context, name string) (Writer, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("create %s: %w", name, err)
	}
	p := filepath.FromSlash(name)
	// O_EXCL: never append to or truncate a file someone else (perhaps a
	// crashed writer) left behind.
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
	if err != nil {
		return nil, err // *fs.PathError names the operation and path
	}
	return &localWriter{f: f, path: p}, nil
}

func (localFS) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	return os.Open(filepath.FromSlash(name))
}

func (localFS) ReadDir(ctx context.Context, name string) ([]fs.FileInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("readdir %s: %w", name, err)
	}
	entries, err := os.ReadDir(filepath.FromSlash(name)) // sorted by name
	if err != nil {
		return nil, err
	}
	infos := make([]fs.FileInfo, 0, len(entries))
	for _, e := range entries {
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed since the listing (e.g. by a cleaner)
		}
		if err != nil {
			return nil, fmt.Errorf("readdir %s: %w", name, err)
		}
		infos = append(infos, info)
	}
	return infos, nil
}

func (localFS) Stat(ctx context.Context, name string) (fs.FileInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("stat %s: %w", name, err)
	}
	return os.Stat(filepath.FromSlash(name))
}

func (localFS) Rename(ctx context.Context, oldname, newname string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("rename %s %s: %w", oldname, newname, err)
	}
	oldp, newp := filepath.FromSlash(oldname), filepath.FromSlash(newname)
	if err := os.Rename(oldp, newp); err != nil {
		return err // *os.LinkError names both paths
	}
	// The rename is durable once the directories holding the entries are.
	if err := syncDir(filepath.Dir(newp)); err != nil {
		return fmt.Errorf("rename %s %s: %w", oldname, newname, err)
	}
	if od := filepath.Dir(oldp); od != filepath.Dir(newp) {
		if err := syncDir(od); err != nil {
			return fmt.Errorf("rename %s %s: %w", oldname, newname, err)
		}
	}
	return nil
}

// Remove and RemoveAll do not fsync: a deletion lost in a crash only brings
// back a file that was obsolete anyway (an old segment or checkpoint).
func (localFS) Remove(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("remove %s: %w", name, err)
	}
	return os.Remove(filepath.FromSlash(name))
}

func (localFS) RemoveAll(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("removeall %s: %w", name, err)
	}
	return os.RemoveAll(filepath.FromSlash(name))
}

func (localFS) MkdirAll(ctx context.Context, name string, perm fs.FileMode) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mkdir %s: %w", name, err)
	}
	p := filepath.Clean(filepath.FromSlash(name))
	// Find the directories that do not exist yet, so that their parents can
	// be synced after creation: a file committed in a new directory is only
	// durable if the directory's own entry is.
	var missing []string
	for d := p; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil {
			break
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	if err := os.MkdirAll(p, perm); err != nil {
		return err
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := syncDir(filepath.Dir(missing[i])); err != nil {
			return fmt.Errorf("mkdir %s: %w", name, err)
		}
	}
	return nil
}

// localWriter is a file being written. state guards the Commit/Abort
// protocol of Writer.
type localWriter struct {
	f      *os.File
	path   string
	closed bool
	state  localWriterState
}

type localWriterState int

const (
	wsWriting   localWriterState = iota
	wsFailed                     // Commit failed: only Abort is allowed
	wsCommitted                  // Commit succeeded: the file is in place for good
	wsAborted
)

func (w *localWriter) Write(p []byte) (int, error) {
	if w.state != wsWriting {
		return 0, fmt.Errorf("write %s: %w", w.path, fs.ErrClosed)
	}
	return w.f.Write(p)
}

// Commit makes the file durable: data first (fsync), then the directory entry
// (fsync of the parent), so a crash can never leave a name pointing at
// missing data.
func (w *localWriter) Commit(ctx context.Context) error {
	if w.state != wsWriting {
		return fmt.Errorf("commit %s: %w", w.path, fs.ErrClosed)
	}
	w.state = wsFailed // until every step below succeeds
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("commit %s: %w", w.path, err)
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("commit %s: %w", w.path, err)
	}
	w.closed = true
	if err := w.f.Close(); err != nil {
		return fmt.Errorf("commit %s: %w", w.path, err)
	}
	if err := syncDir(filepath.Dir(w.path)); err != nil {
		return fmt.Errorf("commit %s: %w", w.path, err)
	}
	w.state = wsCommitted
	return nil
}

// Abort closes and removes the file. After a successful Commit it removes
// nothing, so `defer w.Abort(ctx)` is safe. It ignores ctx: removing a local
// file does not block, and cleanup often runs after ctx is done.
func (w *localWriter) Abort(context.Context) error {
	if w.state == wsCommitted || w.state == wsAborted {
		return nil
	}
	w.state = wsAborted
	if !w.closed {
		w.closed = true
		_ = w.f.Close() // the file is being thrown away; its close error does not matter
	}
	if err := os.Remove(w.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("abort: %w", err)
	}
	return nil
}

// syncDir fsyncs a directory so that entries created, renamed or removed in
// it survive a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}
