package engine_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/engine/streamtest"
)

// putFile writes a file into dir the way a producer should (written
// elsewhere, renamed in) and sets its modification time.
func putFile(t *testing.T, dir, name, content string, mtime time.Time) {
	t.Helper()
	tmp := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(filepath.Join(dir, name), mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

func TestTextFileStream(t *testing.T) {
	dir := t.TempDir()
	at := func(ms int) time.Time { return streamtest.Epoch.Add(time.Duration(ms) * time.Millisecond) }
	// there before the stream started: ignored
	putFile(t, dir, "old.txt", "old\n", at(-10_000))

	h := streamtest.New(t, time.Second)
	lines := engine.TextFileStream(h.Ctx, dir)
	out := streamtest.Collect(h, lines)
	h.Start()

	putFile(t, dir, "a.txt", "a1\na2\n", at(500))
	putFile(t, dir, "edge.txt", "edge\r\n", at(1000))                  // at the batch time itself: taken by it
	putFile(t, dir, "nonl.txt", "no newline", at(700))                 // last line without terminator
	putFile(t, dir, ".hidden", "hidden\n", at(500))                    // hidden: ignored
	putFile(t, dir, "_COPYING_", "copying\n", at(500))                 // temporary: ignored
	putFile(t, dir, "future.txt", "future\n", at(2500))                // modified after batch 2: batch 3
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil { // directories are not files
		t.Fatal(err)
	}
	os.Chtimes(filepath.Join(dir, "sub"), at(500), at(500))
	h.Advance(1)

	putFile(t, dir, "b.txt", "b\n", at(1500))
	putFile(t, dir, "empty.txt", "", at(1600))
	h.Advance(1)

	h.Advance(1) // future.txt
	// a file touched again after it was taken is not taken twice
	os.Chtimes(filepath.Join(dir, "a.txt"), at(3500), at(3500))
	putFile(t, dir, "c.txt", "c\n", at(3900))
	h.Advance(1)
	h.Advance(1)

	checkBatches(t, h, out, [][]string{
		strs("a1", "a2", "edge", "no newline"),
		{"b"},
		{"future"},
		{"c"},
		{},
	})
}

// TestTextFileStreamIgnoresFilesTooOld: a file whose modification time is
// older than the remember window is never taken, even if it appears late.
func TestTextFileStreamIgnoresFilesTooOld(t *testing.T) {
	dir := t.TempDir()
	h := streamtest.New(t, time.Second, streamtest.WithConf("gostream.streaming.fileStream.minRememberDuration", "3s"))
	out := streamtest.Collect(h, engine.TextFileStream(h.Ctx, dir))
	h.Start()
	h.Advance(6)
	// at batch 7 (clock zero+7s) the window of remembered times is (4s, 7s]
	putFile(t, dir, "late.txt", "late\n", streamtest.Epoch.Add(2*time.Second))
	putFile(t, dir, "recent.txt", "recent\n", streamtest.Epoch.Add(5*time.Second))
	h.Advance(1)
	checkBatches(t, h, out, [][]string{{}, {}, {}, {}, {}, {}, {"recent"}})
}

// TestTextFileStreamMissingDirectory: as in Spark, a directory that cannot
// be listed gives empty batches (with a warning) rather than stopping the
// application; files put there once it exists are taken as usual.
func TestTextFileStreamMissingDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "later")
	h := streamtest.New(t, time.Second)
	out := streamtest.Collect(h, engine.TextFileStream(h.Ctx, dir))
	h.Start()
	h.Advance(2)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	putFile(t, dir, "f.txt", "hello\n", streamtest.Epoch.Add(2500*time.Millisecond))
	h.Advance(1)
	checkBatches(t, h, out, [][]string{{}, {}, {"hello"}})
}
