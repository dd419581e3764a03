// Command chaosapp is the application the chaos tests kill and restart. It
// runs through engine.Main, so the checkpoint directory and the receiver
// write-ahead log come from the configuration (environment), as for any
// gostream application.
//
//	chaosapp -mode file -in DIR -out PREFIX
//	    saves every batch of a text file stream with SaveAsTextFiles
//	chaosapp -mode recv -src FILE -offsets FILE -out DIR
//	    counts the words of a reliable receiver reading FILE (one record per
//	    line) with updateStateByKey, writing the state after every batch to
//	    DIR/state-<batchMs>
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gostream/gostream/engine"
)

func main() {
	mode := flag.String("mode", "file", "file or recv")
	in := flag.String("in", "", "file mode: directory to watch")
	src := flag.String("src", "", "recv mode: file of records, one per line")
	offsets := flag.String("offsets", "", "recv mode: where the receiver keeps its acknowledged offset")
	out := flag.String("out", "", "output prefix (file mode) or directory (recv mode)")
	batch := flag.Duration("batch", 200*time.Millisecond, "batch duration")
	chunk := flag.Int("chunk", 20, "recv mode: records per StoreBlock")
	pause := flag.Duration("pause", 10*time.Millisecond, "recv mode: pause between blocks")
	flag.Parse()
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))

	engine.Main(*batch, func(ssc *engine.Context) error {
		switch *mode {
		case "file":
			engine.TextFileStream(ssc, *in).SaveAsTextFiles(*out, "")
		case "recv":
			r := &fileReceiver{src: *src, offsets: *offsets, chunk: *chunk, pause: *pause}
			words := engine.Map(engine.ReceiverStream(ssc, "numbered", r), func(line string) engine.Pair[string, int64] {
				_, w, _ := strings.Cut(line, " ")
				return engine.KV(w, int64(1))
			})
			state := engine.UpdateStateByKey(words, func(vs []int64, s engine.Opt[int64]) engine.Opt[int64] {
				n := s.Value
				for _, v := range vs {
					n += v
				}
				return engine.Some(n)
			})
			state.ForeachRDD(func(ctx context.Context, t time.Time, r *engine.RDD[engine.Pair[string, int64]]) error {
				items, err := r.Collect(ctx)
				if err != nil {
					return err
				}
				lines := make([]string, len(items))
				for i, kv := range items {
					lines[i] = fmt.Sprintf("%s %d", kv.Key, kv.Value)
				}
				slices.Sort(lines)
				return writeAtomic(filepath.Join(*out, fmt.Sprintf("state-%d", t.UnixMilli())), strings.Join(lines, "\n"))
			})
		default:
			return fmt.Errorf("unknown -mode %q", *mode)
		}
		return nil
	})
}

// fileReceiver is a reliable source: it re-reads its file from the offset
// after the last acknowledged block. The offset comes from the engine when
// the write-ahead log kept it (OffsetSink), else from its own offsets file,
// which it updates only after StoreBlock returned.
type fileReceiver struct {
	src, offsets string
	chunk        int
	pause        time.Duration
}

func (r *fileReceiver) Receive(ctx context.Context, out engine.Sink[string]) error {
	sink := out.(engine.OffsetSink[string])
	var from int
	if off, ok := sink.RecoveredOffset(); ok {
		from, _ = strconv.Atoi(off)
	} else if b, err := readFile(r.offsets); err == nil {
		from, _ = strconv.Atoi(strings.TrimSpace(b))
	}
	data, err := readFile(r.src)
	if err != nil {
		return err
	}
	records := strings.Split(strings.TrimSpace(data), "\n")
	for from < len(records) && ctx.Err() == nil {
		end := min(from+r.chunk, len(records))
		if err := sink.StoreBlockWithOffset(ctx, records[from:end], strconv.Itoa(end)); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err // restarted by the engine; the block was not acknowledged
		}
		from = end
		if err := writeAtomic(r.offsets, strconv.Itoa(from)); err != nil {
			return err
		}
		select {
		case <-time.After(r.pause):
		case <-ctx.Done():
		}
	}
	if from >= len(records) {
		_ = writeAtomic(r.offsets+".done", "done")
	}
	<-ctx.Done()
	return nil
}

func readFile(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var b strings.Builder
	_, err = bufio.NewReader(f).WriteTo(&b)
	return b.String(), err
}

// writeAtomic replaces name with data: temp file, fsync, rename.
func writeAtomic(name, data string) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	tmp := filepath.Join(filepath.Dir(name), ".tmp-"+filepath.Base(name))
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	_, werr := f.WriteString(data)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return err
	}
	return os.Rename(tmp, name)
}
