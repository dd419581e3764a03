//go:build integration

package engine_test

import (
	"context"
	"fmt"
	"path"
	"slices"
	"testing"
	"time"

	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/engine/streamtest"
	"github.com/gostream/gostream/testcluster"
)

// TestIntegrationObjectFilesOnHDFS: SaveAsObjectFiles writes each batch's
// directory on the test cluster's HDFS, and ObjectFile reads it back whole.
func TestIntegrationObjectFilesOnHDFS(t *testing.T) {
	c := testcluster.Get(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	if err := c.WaitReady(ctx); err != nil {
		t.Fatalf("test cluster not ready: %v", err)
	}
	t.Setenv("HADOOP_CONF_DIR", c.HadoopConfDir)
	root := fmt.Sprintf("/gostream-test/objects-%d", time.Now().UnixNano())
	prefix := c.NameNodeURI() + path.Join(root, "out")

	h := streamtest.New(t, time.Second)
	in, q := streamtest.Input[reading](h)
	in.Repartition(3).SaveAsObjectFiles(prefix, "bin")
	h.Start()
	batches := [][]reading{{{"a", 1}, {"b", 2}, {"c", 3}, {"d", 4}}, {}}
	pushAll(q, batches)
	h.Advance(len(batches))
	t.Cleanup(func() {
		fsys, dir, err := h.Ctx.FileSystem(context.Background(), c.NameNodeURI()+root)
		if err == nil {
			err = fsys.RemoveAll(context.Background(), dir)
		}
		if err != nil {
			t.Errorf("clean up %s: %v", root, err)
		}
	})
	for i, want := range batches {
		dir := fmt.Sprintf("%s-%d.bin", prefix, h.BatchTime(i).UnixMilli())
		r, err := engine.ObjectFile[reading](ctx, h.Ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		if r.NumPartitions() != 3 {
			t.Errorf("batch %d: %d part files, want 3", i, r.NumPartitions())
		}
		got, err := r.Collect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(got, func(a, b reading) int { return int(a.Value - b.Value) })
		if !slices.Equal(got, want) {
			t.Errorf("batch %d read back %v, want %v", i, got, want)
		}
	}
}
