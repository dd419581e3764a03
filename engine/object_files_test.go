package engine_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/engine/streamtest"
)

type reading struct {
	Sensor string
	Value  float64
}

// saveObjects runs two batches of items through SaveAsObjectFiles (over
// three partitions) and returns the batch directories.
func saveObjects[T any](t *testing.T, root string, batches ...[]T) []string {
	t.Helper()
	h := streamtest.New(t, time.Second)
	in, q := streamtest.Input[T](h)
	in.Repartition(3).SaveAsObjectFiles(filepath.Join(root, "obj"), "bin")
	h.Start()
	pushAll(q, batches)
	h.Advance(len(batches))
	h.Ctx.Stop(false)
	var dirs []string
	for i := range batches {
		dirs = append(dirs, filepath.Join(root, fmt.Sprintf("obj-%d.bin", h.BatchTime(i).UnixMilli())))
	}
	return dirs
}

func readObjects[T any](t *testing.T, dir string) ([]T, error) {
	t.Helper()
	h := streamtest.New(t, time.Second)
	r, err := engine.ObjectFile[T](context.Background(), h.Ctx, dir)
	if err != nil {
		return nil, err
	}
	return r.Collect(context.Background())
}

// TestSaveAsObjectFilesReadBack: what SaveAsObjectFiles writes, ObjectFile
// reads back whole, for strings, gob-encoded structs and more elements
// than one chunk; an empty batch reads back empty.
func TestSaveAsObjectFilesReadBack(t *testing.T) {
	root := t.TempDir()
	words := []string{"a", "", "b c", "ünïcode"}
	dirs := saveObjects(t, root, words, []string{})
	for i, want := range [][]string{words, nil} {
		got, err := readObjects[string](t, dirs[i])
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		want = slices.Sorted(slices.Values(want))
		if !slices.Equal(got, want) {
			t.Errorf("batch %d read back %q, want %q", i, got, want)
		}
	}
	var many []reading
	for i := range 5000 {
		many = append(many, reading{fmt.Sprint("s", i%7), float64(i)})
	}
	dirs = saveObjects(t, filepath.Join(root, "structs"), many)
	got, err := readObjects[reading](t, dirs[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(many) {
		t.Fatalf("read back %d readings, want %d", len(got), len(many))
	}
	sum := 0.0
	for _, r := range got {
		sum += r.Value
	}
	if sum != 5000*4999/2 {
		t.Errorf("readings read back sum to %v", sum)
	}
	parts, _ := filepath.Glob(filepath.Join(dirs[0], "part-*"))
	if len(parts) != 3 {
		t.Errorf("part files %q, want one per partition", parts)
	}
}

// TestObjectFileErrors: another element type, a text file, a damaged file
// and a missing directory each fail with an error naming what is wrong.
func TestObjectFileErrors(t *testing.T) {
	root := t.TempDir()
	dir := saveObjects(t, root, []string{"x", "y", "z"})[0]
	if _, err := readObjects[reading](t, dir); err == nil || !containsAll(err.Error(), "part-", "string") {
		t.Errorf("strings read as structs: %v; want an error naming the file and the types", err)
	}
	textDir := filepath.Join(root, "text")
	must(t, os.MkdirAll(textDir, 0o755))
	must(t, os.WriteFile(filepath.Join(textDir, "part-00000"), []byte("hello\n"), 0o644))
	if _, err := readObjects[string](t, textDir); !errors.Is(err, engine.ErrNotObjectFile) || !containsAll(err.Error(), "part-00000") {
		t.Errorf("a text file: %v; want ErrNotObjectFile naming it", err)
	}
	part := filepath.Join(dir, "part-00000")
	b, err := os.ReadFile(part)
	must(t, err)
	must(t, os.WriteFile(part, b[:len(b)-2], 0o644))
	if _, err := readObjects[string](t, dir); !errors.Is(err, engine.ErrNotObjectFile) || !containsAll(err.Error(), "part-00000", "truncated") {
		t.Errorf("a truncated file: %v; want ErrNotObjectFile naming it", err)
	}
	if _, err := readObjects[string](t, filepath.Join(root, "missing")); err == nil || !containsAll(err.Error(), "objectFile", "missing") {
		t.Errorf("a missing directory: %v", err)
	}
}
