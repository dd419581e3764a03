package engine

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/gostream/gostream/engine/rdd"
	"github.com/gostream/gostream/hdfsstore"
)

// TextFileStream watches dir (a local path, hdfs://…, or a path on the
// default file system) and makes each new file's lines part of the batch in
// which it appeared. As in Spark: files must be moved into dir atomically
// (write elsewhere, then rename); a file counts once, at the first batch
// whose time is not before its modification time; files older than
// gostream.streaming.fileStream.minRememberDuration, files already there when
// the stream starts, and names starting with "." or "_" are ignored.
func TextFileStream(ssc *Context, dir string) *DStream[string] {
	fsys, root, err := ssc.fileSystem(dir)
	if err != nil {
		ssc.pathError(fmt.Errorf("textFileStream %s: %w", dir, err))
	}
	fstream := &fileStream{fsys: fsys, dir: root, selected: map[int64][]string{}, seen: map[string]int64{}}
	n := &node{kind: "textFileStream", params: fmt.Sprintf("dir=%q", dir), slide: ssc.batch,
		input: &input{replayable: true, saveProgress: fstream.saveProgress, restoreProgress: fstream.restoreProgress}}
	n.input.forget = func(done time.Time) {
		// A checkpoint lists the files of every batch the stream may
		// re-create (windows, state replay) and of every batch whose files
		// later batches must skip.
		fstream.forget(done, max(2*ssc.settings.fileRemember, n.retention()))
	}
	return newStream(ssc, n, func(t time.Time) (*RDD[string], error) {
		files, err := fstream.newFiles(ssc, t)
		if err != nil {
			return nil, err
		}
		ssc.recordInputFiles(t, n.id, files)
		return rdd.Zip(ssc.env, len(files), func(ctx context.Context, p int, emit func(string)) error {
			return readLines(ctx, fsys, files[p], emit)
		}), nil
	})
}

// fileStream remembers which files were taken by which batch: seen while
// a file may be selected again, selected while a checkpoint needs them.
type fileStream struct {
	mu       sync.Mutex // the checkpointer reads selected
	fsys     hdfsstore.FS
	dir      string
	start    time.Time          // files modified before it were there at start
	selected map[int64][]string // batch time (ms) → files it took
	seen     map[string]int64   // file → batch time (ms) that took it
}

func (f *fileStream) newFiles(ssc *Context, t time.Time) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.start.IsZero() {
		f.start = ssc.graph.zero
	}
	if files, ok := f.selected[t.UnixMilli()]; ok {
		return files, nil // a batch re-created after a restart takes exactly its files again
	}
	ctx, cancel := context.WithTimeout(context.Background(), ssc.settings.networkTimeout)
	defer cancel()
	entries, err := f.fsys.ReadDir(ctx, f.dir)
	if err != nil {
		// As Spark: a directory that cannot be listed (yet) gives the batch no
		// files instead of stopping the application; a later batch takes them.
		ssc.log.Warn("file stream: cannot list directory; this batch takes no files", "dir", f.dir, "err", err)
		return nil, nil
	}
	remember := ssc.settings.fileRemember
	threshold := t.Add(-remember)
	if threshold.Before(f.start) {
		threshold = f.start
	}
	var files []string
	for _, e := range entries {
		name := e.Name()
		full := path.Join(f.dir, name)
		switch {
		case e.IsDir(), strings.HasPrefix(name, "."), strings.HasPrefix(name, "_"):
		case e.ModTime().Before(threshold), e.ModTime().After(t):
		default:
			if _, dup := f.seen[full]; !dup {
				files = append(files, full)
			}
		}
	}
	ms := t.UnixMilli()
	f.selected[ms] = files
	for _, file := range files {
		f.seen[file] = ms
	}
	// forget what can no longer be selected again
	for file, at := range f.seen {
		if at < threshold.Add(-remember).UnixMilli() {
			delete(f.seen, file)
		}
	}
	return files, nil
}

// forget drops the files of batches completed keep before done or earlier.
func (f *fileStream) forget(done time.Time, keep time.Duration) {
	limit := done.Add(-keep).UnixMilli()
	f.mu.Lock()
	defer f.mu.Unlock()
	for at := range f.selected {
		if at <= limit {
			delete(f.selected, at)
		}
	}
}

// readLines pushes each line of a file, without its line terminator.
func readLines(ctx context.Context, fsys hdfsstore.FS, name string, emit func(string)) error {
	r, err := fsys.Open(ctx, name)
	if err != nil {
		return err
	}
	defer r.Close()
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadString('\n')
		if len(line) > 0 {
			emit(strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r"))
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("read %s: %w", name, err)
		}
	}
}
