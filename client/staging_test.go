package client

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/gostream/gostream/hdfsstore"
	"github.com/gostream/gostream/internal/yarn"
)

func TestStagingUploadAndRemove(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	src := filepath.Join(t.TempDir(), "app")
	if err := os.WriteFile(src, []byte("#!/bin/sh\necho hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	id := yarn.ApplicationID{ClusterTimestamp: 1700000000000, ID: 7}
	dir := StagingDir(root, id)
	if want := filepath.Join(root, ".gostreamStaging", "application_1700000000000_0007"); dir != want {
		t.Fatalf("StagingDir = %s, want %s", dir, want)
	}
	fsys := hdfsstore.NewLocal()
	stg, err := NewStaging(ctx, fsys, dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := stg.Upload(ctx, src, "myapp")
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, "myapp"))
	if err != nil {
		t.Fatal(err)
	}
	want := yarn.LocalResource{URL: "file://" + filepath.Join(dir, "myapp"), Size: st.Size(), Timestamp: st.ModTime().UnixMilli(), Visibility: yarn.VisibilityApplication}
	if r != want {
		t.Errorf("Upload = %+v, want %+v", r, want)
	}
	if _, err := stg.Upload(ctx, filepath.Join(root, "missing"), "x"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("uploading a missing file: %v, want fs.ErrNotExist", err)
	}
	if err := stg.Remove(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("staging directory still there after Remove: %v", err)
	}
}
