package client

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"

	"github.com/gostream/gostream/hdfsstore"
	"github.com/gostream/gostream/internal/yarn"
)

// StagingDir is application id's staging directory below base (the
// submitter's home directory or gostream.yarn.stagingDir):
// <base>/.gostreamStaging/<id>.
func StagingDir(base string, id yarn.ApplicationID) string {
	return path.Join(base, ".gostreamStaging", id.String())
}

// Staging uploads an application's files into its staging directory, from
// which NodeManagers copy them into containers. The directory is readable by
// its owner only (0700, files 0600).
type Staging struct {
	fsys hdfsstore.FS
	dir  string
}

// chmodFS is a file system whose permissions can be set (HDFS).
type chmodFS interface {
	Chmod(ctx context.Context, name string, perm fs.FileMode) error
}

// NewStaging creates the staging directory dir on fsys. Only HDFS can serve
// resources to NodeManagers on other hosts; other file systems are for
// tests.
func NewStaging(ctx context.Context, fsys hdfsstore.FS, dir string) (*Staging, error) {
	if err := fsys.MkdirAll(ctx, dir, 0o700); err != nil {
		return nil, fmt.Errorf("create the staging directory: %w", err)
	}
	if c, ok := fsys.(chmodFS); ok { // MkdirAll leaves an existing directory's mode
		if err := c.Chmod(ctx, dir, 0o700); err != nil {
			return nil, fmt.Errorf("make the staging directory private: %w", err)
		}
	}
	return &Staging{fsys: fsys, dir: dir}, nil
}

// URL is the staging directory's URL (hdfs://namenode:port/path).
func (s *Staging) URL() string { return s.url(s.dir) }

func (s *Staging) url(p string) string {
	if _, ok := s.fsys.(*hdfsstore.HDFS); ok {
		return s.fsys.String() + p
	}
	return "file://" + p
}

// Upload copies the local file src into the staging directory as name and
// returns it as a local resource of that name.
func (s *Staging) Upload(ctx context.Context, src, name string) (yarn.LocalResource, error) {
	f, err := os.Open(src)
	if err != nil {
		return yarn.LocalResource{}, fmt.Errorf("stage %s: %w", src, err)
	}
	defer f.Close()
	dst := path.Join(s.dir, name)
	w, err := s.fsys.Create(ctx, dst)
	if err != nil {
		return yarn.LocalResource{}, fmt.Errorf("stage %s: %w", src, err)
	}
	if _, err := io.Copy(w, f); err != nil {
		_ = w.Abort(ctx)
		return yarn.LocalResource{}, fmt.Errorf("stage %s as %s: %w", src, s.url(dst), err)
	}
	if err := w.Commit(ctx); err != nil {
		return yarn.LocalResource{}, fmt.Errorf("stage %s as %s: %w", src, s.url(dst), err)
	}
	if c, ok := s.fsys.(chmodFS); ok {
		if err := c.Chmod(ctx, dst, 0o600); err != nil {
			return yarn.LocalResource{}, fmt.Errorf("stage %s: make %s private: %w", src, s.url(dst), err)
		}
	}
	// The NodeManager checks size and modification time against the file
	// system's own: take them from it, not from the local file.
	st, err := s.fsys.Stat(ctx, dst)
	if err != nil {
		return yarn.LocalResource{}, fmt.Errorf("stage %s: %w", src, err)
	}
	return yarn.LocalResource{URL: s.url(dst), Size: st.Size(), Timestamp: st.ModTime().UnixMilli(), Visibility: yarn.VisibilityApplication}, nil
}

// Remove removes the staging directory and everything in it.
func (s *Staging) Remove(ctx context.Context) error {
	if err := s.fsys.RemoveAll(ctx, s.dir); err != nil {
		return fmt.Errorf("remove the staging directory %s: %w", s.URL(), err)
	}
	return nil
}
