//go:build integration

package hdfsstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gostream/gostream/hdfsstore"
	"github.com/gostream/gostream/hdfsstore/fstest"
	"github.com/gostream/gostream/testcluster"
)

var testDirSeq atomic.Int64

// clusterHDFS connects to the test cluster's HDFS as user (the NameNode's
// superuser group includes root and gostream).
func clusterHDFS(t *testing.T, user string) (*testcluster.Cluster, *hdfsstore.HDFS) {
	t.Helper()
	c := testcluster.Get(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	if err := c.WaitReady(ctx); err != nil {
		t.Fatalf("test cluster not ready: %v", err)
	}
	h, err := hdfsstore.NewHDFS(ctx, hdfsstore.HDFSOptions{Addresses: []string{c.NameNode}, User: user})
	if err != nil {
		t.Fatalf("NewHDFS: %v", err)
	}
	t.Cleanup(func() { h.Close() })
	return c, h
}

// testDir makes a fresh directory for one test and removes it afterwards.
func testDir(t *testing.T, h *hdfsstore.HDFS) string {
	t.Helper()
	dir := fmt.Sprintf("/gostream-test/%s-%d-%d", path.Base(t.Name()), time.Now().UnixNano(), testDirSeq.Add(1))
	if err := h.MkdirAll(t.Context(), dir, 0o755); err != nil {
		t.Fatalf("MkdirAll(%s): %v", dir, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := h.RemoveAll(ctx, dir); err != nil {
			t.Errorf("clean up %s: %v", dir, err)
		}
	})
	return dir
}

// TestHDFSContract runs the FS contract suite on the test cluster's HDFS.
func TestHDFSContract(t *testing.T) {
	_, h := clusterHDFS(t, "gostream")
	fstest.Run(t, func(t *testing.T) (hdfsstore.FS, string) { return h, testDir(t, h) })
}

// TestForPathOnCluster resolves paths with the cluster's client configuration.
func TestForPathOnCluster(t *testing.T) {
	c, h := clusterHDFS(t, "gostream")
	dir := testDir(t, h)
	t.Setenv("HADOOP_CONF_DIR", c.HadoopConfDir)
	t.Setenv("HADOOP_USER_NAME", "gostream")
	ctx := t.Context()
	r := &hdfsstore.Resolver{}
	defer r.Close()
	for _, tc := range []struct{ in, fs, name string }{
		{dir + "/a", c.NameNodeURI(), dir + "/a"},
		{c.NameNodeURI() + dir + "/b", c.NameNodeURI(), dir + "/b"},
		{"hdfs://127.0.0.1:1" + dir, "", ""}, // nothing listens there
		{"hdfs:///x", c.NameNodeURI(), "/x"},
		{"rel/dir", c.NameNodeURI(), "/user/gostream/rel/dir"},
		{"file:///tmp/x", "file:///", "/tmp/x"},
	} {
		fsys, name, err := r.ForPath(ctx, tc.in)
		if tc.fs == "" {
			if err == nil {
				t.Errorf("ForPath(%q) = %s %s, want an error", tc.in, fsys, name)
			}
			continue
		}
		if err != nil {
			t.Errorf("ForPath(%q): %v", tc.in, err)
			continue
		}
		if fsys.String() != tc.fs || name != tc.name {
			t.Errorf("ForPath(%q) = %s, %s; want %s, %s", tc.in, fsys, name, tc.fs, tc.name)
		}
	}
	fsys, name, err := r.ForPath(ctx, dir+"/marker")
	if err != nil {
		t.Fatal(err)
	}
	if err := hdfsstore.WriteFileAtomic(ctx, fsys, name, []byte("on hdfs")); err != nil {
		t.Fatal(err)
	}
	if b, err := hdfsstore.ReadFile(ctx, h, dir+"/marker"); err != nil || string(b) != "on hdfs" {
		t.Fatalf("read back through another client: %q, %v", b, err)
	}
}

// TestPermissionDenied: a user outside the superuser group cannot read or
// write a directory another user closed.
func TestPermissionDenied(t *testing.T) {
	c, h := clusterHDFS(t, "gostream")
	ctx := t.Context()
	dir := testDir(t, h)
	private := dir + "/private"
	if err := h.MkdirAll(ctx, private, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := h.Chmod(ctx, private, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := hdfsstore.WriteFileAtomic(ctx, h, private+"/f", []byte("secret")); err != nil {
		t.Fatal(err)
	}
	alice, err := hdfsstore.NewHDFS(ctx, hdfsstore.HDFSOptions{Addresses: []string{c.NameNode}, User: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	defer alice.Close()
	if _, err := alice.Create(ctx, private+"/g"); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("Create as alice: %v, want fs.ErrPermission", err)
	}
	if _, err := alice.ReadDir(ctx, private); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("ReadDir as alice: %v, want fs.ErrPermission", err)
	}
	if _, err := hdfsstore.ReadFile(ctx, alice, private+"/f"); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("ReadFile as alice: %v, want fs.ErrPermission", err)
	}
	err = alice.RemoveAll(ctx, private)
	if !errors.Is(err, fs.ErrPermission) {
		t.Errorf("RemoveAll as alice: %v, want fs.ErrPermission", err)
	}
	t.Logf("as alice: %v", err)
	if ok, err := hdfsstore.Exists(ctx, h, private+"/f"); !ok || err != nil {
		t.Errorf("the file is gone after alice's attempts: %v %v", ok, err)
	}
}

// TestSafeMode: writes fail with ErrSafeMode while the NameNode is in safe
// mode, and work again after.
func TestSafeMode(t *testing.T) {
	c, h := clusterHDFS(t, "gostream")
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	dir := testDir(t, h)
	if err := c.SetSafeMode(ctx, true); err != nil {
		t.Fatal(err)
	}
	left := false
	t.Cleanup(func() {
		if !left {
			if err := c.SetSafeMode(context.Background(), false); err != nil {
				t.Errorf("leave safe mode: %v", err)
			}
		}
	})
	_, err := h.Create(ctx, dir+"/f")
	if !errors.Is(err, hdfsstore.ErrSafeMode) {
		t.Errorf("Create in safe mode: %v, want ErrSafeMode", err)
	}
	t.Logf("in safe mode: %v", err)
	if err := h.MkdirAll(ctx, dir+"/d", 0o755); !errors.Is(err, hdfsstore.ErrSafeMode) {
		t.Errorf("MkdirAll in safe mode: %v, want ErrSafeMode", err)
	}
	if _, err := h.Stat(ctx, dir); err != nil {
		t.Errorf("Stat in safe mode: %v (reads work)", err)
	}
	if err := c.SetSafeMode(ctx, false); err != nil {
		t.Fatal(err)
	}
	left = true
	if err := hdfsstore.WriteFileAtomic(ctx, h, dir+"/f", []byte("x")); err != nil {
		t.Errorf("write after leaving safe mode: %v", err)
	}
}

// TestDataNodeLoss kills and restarts the DataNode while a writer commits
// files: every file whose Commit returned nil reads back intact.
func TestDataNodeLoss(t *testing.T) {
	c, _ := clusterHDFS(t, "gostream")
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	h, err := hdfsstore.NewHDFS(ctx, hdfsstore.HDFSOptions{Addresses: []string{c.NameNode}, User: "gostream",
		OpTimeout: 5 * time.Second, CommitTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() }) // after testDir's cleanup, which uses h
	dir := testDir(t, h)
	dn := c.DataNodes[0]
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		_ = c.StartDaemon(ctx, dn)
		if err := c.WaitReady(ctx); err != nil {
			t.Errorf("cluster not ready after restarting %s: %v", dn, err)
		}
	})

	content := func(i int) []byte {
		return bytes.Repeat([]byte(fmt.Sprintf("file %05d;", i)), 1+i%700)
	}
	var (
		mu        sync.Mutex
		committed []int
		failures  []string
	)
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(committed) }
	wctx, stopWriter := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; wctx.Err() == nil; i++ {
			name := fmt.Sprintf("%s/f-%05d", dir, i)
			err := func() error {
				octx, cancel := context.WithTimeout(wctx, 30*time.Second)
				defer cancel()
				w, err := h.Create(octx, name)
				if err != nil {
					return err
				}
				defer w.Abort(context.WithoutCancel(octx))
				if _, err := w.Write(content(i)); err != nil {
					return err
				}
				return w.Commit(octx)
			}()
			mu.Lock()
			if err == nil {
				committed = append(committed, i)
			} else if wctx.Err() == nil {
				failures = append(failures, err.Error())
			}
			mu.Unlock()
			if err != nil {
				_ = sleep(wctx, 200*time.Millisecond)
			}
		}
	}()
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		if err := pollUntil(ctx, cond); err != nil {
			stopWriter()
			<-done
			t.Fatalf("waiting for %s: %v", what, err)
		}
	}
	waitFor("5 commits", func() bool { return count() >= 5 })
	before := count()
	if err := c.KillDaemon(ctx, dn); err != nil {
		t.Fatal(err)
	}
	_ = sleep(ctx, 4*time.Second)
	during := count() - before
	if err := c.StartDaemon(ctx, dn); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	after := count()
	waitFor("5 commits after the restart", func() bool { return count() >= after+5 })
	stopWriter()
	<-done

	mu.Lock()
	defer mu.Unlock()
	t.Logf("%d files committed (%d before the kill, %d while %s was down), %d attempts failed",
		len(committed), before, during, dn, len(failures))
	if len(failures) > 0 {
		t.Logf("first failure: %s", failures[0])
	}
	for _, i := range committed {
		name := fmt.Sprintf("%s/f-%05d", dir, i)
		got, err := hdfsstore.ReadFile(ctx, h, name)
		if err != nil {
			t.Errorf("committed file %s: %v", name, err)
			continue
		}
		if !bytes.Equal(got, content(i)) {
			t.Errorf("committed file %s: %d bytes that differ from the %d written", name, len(got), len(content(i)))
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

func pollUntil(ctx context.Context, cond func() bool) error {
	for !cond() {
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}
