package hdfsstore

import (
	"context"
	"io"
	"io/fs"
)

// FS is the file-system seam: every byte gostream keeps (checkpoints, WAL
// segments, marker files, file-stream inputs) goes through it, so local disks
// and HDFS behave the same to the engine.
//
// The contract follows HDFS, the weaker of the two:
//   - a file written with Create is durable only after Commit returns nil;
//     until then readers may see it empty, partial or not at all;
//   - Create never appends and never overwrites: it fails with fs.ErrExist
//     when the name is taken, so a file a crashed writer left open is never
//     written again (remove it, or write under a new name);
//   - Rename replaces an existing target;
//   - errors satisfy errors.Is(err, fs.ErrNotExist), fs.ErrExist and
//     fs.ErrPermission where those apply.
//
// Paths are slash-separated and absolute within the file system.
type FS interface {
	// Create opens a new file for writing. The parent directory must exist.
	Create(ctx context.Context, name string) (Writer, error)
	// Open opens a committed file for reading.
	Open(ctx context.Context, name string) (io.ReadCloser, error)
	// ReadDir lists a directory's entries, sorted by name.
	ReadDir(ctx context.Context, name string) ([]fs.FileInfo, error)
	// Stat describes a file or directory.
	Stat(ctx context.Context, name string) (fs.FileInfo, error)
	// Rename moves oldname to newname, replacing newname if it exists.
	Rename(ctx context.Context, oldname, newname string) error
	// Remove deletes a file or an empty directory.
	Remove(ctx context.Context, name string) error
	// RemoveAll deletes a file or a directory tree; a missing name is not an error.
	RemoveAll(ctx context.Context, name string) error
	// MkdirAll creates a directory and its missing parents.
	MkdirAll(ctx context.Context, name string, perm fs.FileMode) error
	// String names the file system in messages, e.g. "file:///" or "hdfs://nn:8020".
	String() string
}

// Writer is a file being written. Call Commit or Abort once; after a failed
// Commit, Abort still removes what was written. Then the Writer is unusable,
// except that Abort after a successful Commit removes nothing, so
// `defer w.Abort(ctx)` is a safe cleanup.
type Writer interface {
	io.Writer
	// Commit closes the file and returns once its bytes are durable.
	Commit(ctx context.Context) error
	// Abort closes the file and removes what was written.
	Abort(ctx context.Context) error
}
