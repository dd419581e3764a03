package hdfsstore_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gostream/gostream/hdfsstore"
	"github.com/gostream/gostream/hdfsstore/fstest"
)

func TestLocalContract(t *testing.T) {
	fstest.Run(t, func(t *testing.T) (hdfsstore.FS, string) {
		return hdfsstore.NewLocal(), filepath.ToSlash(t.TempDir())
	})
}

// TestLocalErrorsNamePath: errors keep the os error chain and say which
// operation on which path failed.
func TestLocalErrorsNamePath(t *testing.T) {
	ctx := t.Context()
	fsys := hdfsstore.NewLocal()
	missing := filepath.Join(t.TempDir(), "missing")
	_, err := fsys.Open(ctx, missing)
	var pe *fs.PathError
	if !errors.As(err, &pe) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Open of a missing file: %v, want a *fs.PathError with fs.ErrNotExist", err)
	}
	if !strings.Contains(err.Error(), missing) || !strings.Contains(err.Error(), "open") {
		t.Fatalf("error %q does not name the operation and path", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	err = fsys.Remove(cctx, missing)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), missing) {
		t.Fatalf("Remove with a cancelled context: %v, want context.Canceled naming the path", err)
	}
}

// TestLocalPermission: fs.ErrPermission surfaces through the chain. Root
// ignores file modes, so the test needs an ordinary user.
func TestLocalPermission(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: file modes are not enforced")
	}
	ctx := t.Context()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	_, err := hdfsstore.NewLocal().Create(ctx, filepath.Join(dir, "f"))
	if !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("Create in a read-only directory: %v, want fs.ErrPermission", err)
	}
}
