// Command reliablecount keeps a running word count of a reliable, replayable
// source without losing or repeating a record across failures: the pattern
// for zero data loss on YARN.
//
// The source numbers its records (record i is the word "w<i mod -words>")
// and stores them in blocks with StoreBlockWithOffset: with the receiver
// write-ahead log on (gostream.streaming.receiver.writeAheadLog.enable, which
// this application turns on by default: engine.WithConfDefault; set it to
// false to run without it, and without the zero-loss guarantee), a block is
// acknowledged only once it is in the log, with the offset after it. A restarted driver (a new YARN attempt) recovers the offset of the
// last logged block (RecoveredOffset) and the source resends from there, as
// a Kafka or Kinesis source would from its committed position. After each
// acknowledged block the source records the offset in -acked, so that the
// end-to-end tests can compare the final state with everything the source
// had acknowledged.
//
// The running counts (updateStateByKey, which needs the checkpoint
// directory) are written after every batch to -out, replaced atomically:
// one "word count" line per word, sorted.
//
//	go run ./examples/reliablecount -duration 20s
//	go run ./cmd/gostream-submit --master 'local[2]' ./examples/reliablecount
//
// On YARN, give HDFS paths: -out hdfs:///apps/rc/state -acked hdfs:///apps/rc/acked
// and --conf gostream.streaming.checkpoint.directory=hdfs:///apps/rc/checkpoint.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gostream/gostream"
	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/hdfsstore"
)

// outputFormat is how the state file is written: "plain" ("word count") or
// "kv" ("word=count"). Builds may change it with
// -ldflags "-X main.outputFormat=kv": the output function changes, the graph
// does not, so such a build recovers from the other's checkpoint.
var outputFormat = "plain"

type config struct {
	out, acked, checkpoint string
	save                   string
	rate, chunk, words     int
	batch, duration        time.Duration
	sinkDelay              time.Duration
	window                 bool
}

func main() {
	base := filepath.Join(os.TempDir(), "gostream-reliablecount")
	var cfg config
	flag.StringVar(&cfg.out, "out", filepath.Join(base, "state"), "file the running counts are written to after every batch")
	flag.StringVar(&cfg.acked, "acked", filepath.Join(base, "acked"), "file the source writes its acknowledged offset to")
	flag.StringVar(&cfg.checkpoint, "checkpoint", "", "checkpoint directory (default: gostream.streaming.checkpoint.directory, else "+filepath.Join(base, "checkpoint")+")")
	flag.IntVar(&cfg.rate, "rate", 500, "records per second")
	flag.IntVar(&cfg.chunk, "chunk", 50, "records per block")
	flag.IntVar(&cfg.words, "words", 100, "distinct words")
	flag.DurationVar(&cfg.batch, "batch", time.Second, "batch duration")
	flag.DurationVar(&cfg.duration, "duration", 0, "stop gracefully after this long (0 = until stopped)")
	flag.DurationVar(&cfg.sinkDelay, "sink-delay", 0, "each batch's output waits this long first, as a slow sink would (to try a stop with a backlog)")
	flag.BoolVar(&cfg.window, "window", false, "also count the words of the last 10 batches (changes the graph)")
	flag.StringVar(&cfg.save, "save", "", "also save every batch's words with SaveAsTextFiles under this prefix, from the executors (changes the graph)")
	flag.Parse()
	if cfg.rate <= 0 || cfg.chunk <= 0 || cfg.words <= 0 || cfg.batch <= 0 || cfg.duration < 0 || cfg.sinkDelay < 0 {
		fmt.Fprintln(os.Stderr, "reliablecount: -rate, -chunk, -words and -batch must be positive, -duration and -sink-delay 0 or more")
		os.Exit(2)
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	gostream.Main(cfg.batch, func(ssc *engine.Context) error { return build(ssc, cfg) },
		engine.WithConfDefault("gostream.streaming.receiver.writeAheadLog.enable", "true")) // zero loss unless the operator says otherwise
}

// build defines the streaming graph.
func build(ssc *engine.Context, cfg config) error {
	switch {
	case cfg.checkpoint != "":
		ssc.Checkpoint(cfg.checkpoint)
	case ssc.CheckpointDir() == "":
		ssc.Checkpoint(filepath.Join(filepath.Join(os.TempDir(), "gostream-reliablecount"), "checkpoint"))
	}
	src := &numberedSource{ssc: ssc, acked: cfg.acked, rate: cfg.rate, chunk: cfg.chunk, words: cfg.words}
	pairs := engine.Map(engine.ReceiverStream(ssc, "numbered", src), func(w string) engine.Pair[string, int64] {
		return engine.KV(w, int64(1))
	})
	// Summed per word before the state: each task's output is one count per
	// word, not one value per record.
	sums := engine.ReduceByKey(pairs, func(a, b int64) int64 { return a + b })
	counts := engine.UpdateStateByKey(sums, func(vs []int64, s engine.Opt[int64]) engine.Opt[int64] {
		n := s.Value
		for _, v := range vs {
			n += v
		}
		return engine.Some(n)
	})
	counts.ForeachRDD(func(ctx context.Context, t time.Time, r *engine.RDD[engine.Pair[string, int64]]) error {
		select {
		case <-time.After(cfg.sinkDelay):
		case <-ctx.Done():
			return ctx.Err()
		}
		items, err := r.Collect(ctx)
		if err != nil {
			return err
		}
		return writeState(ctx, ssc, cfg.out, items)
	})
	if cfg.window {
		engine.CountByValue(pairs.Window(10*cfg.batch, cfg.batch)).Print(5)
	}
	if cfg.save != "" {
		pairs.SaveAsTextFiles(cfg.save, "")
	}
	if cfg.duration > 0 {
		time.AfterFunc(cfg.duration, func() {
			slog.Info("reliablecount: duration reached, stopping gracefully", "duration", cfg.duration)
			ssc.Stop(true)
		})
	}
	return nil
}

// writeState replaces the state file with the counts, one word a line.
func writeState(ctx context.Context, ssc *engine.Context, out string, items []engine.Pair[string, int64]) error {
	lines := make([]string, len(items))
	for i, kv := range items {
		if outputFormat == "kv" {
			lines[i] = fmt.Sprintf("%s=%d", kv.Key, kv.Value)
		} else {
			lines[i] = fmt.Sprintf("%s %d", kv.Key, kv.Value)
		}
	}
	slices.Sort(lines)
	return writeFile(ctx, ssc, out, strings.Join(lines, "\n"))
}

// writeFile and readFile use the context's file systems (and its HDFS
// connections), as its checkpoint directory does.
func writeFile(ctx context.Context, ssc *engine.Context, name, text string) error {
	fsys, p, err := ssc.FileSystem(ctx, name)
	if err != nil {
		return err
	}
	if err := fsys.MkdirAll(ctx, filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return hdfsstore.WriteFileAtomic(ctx, fsys, p, []byte(text))
}

// numberedSource is the reliable, replayable source: it can produce record i
// again for any i, so it resends from the last offset the engine kept.
type numberedSource struct {
	ssc                *engine.Context
	acked              string
	rate, chunk, words int
}

func (s *numberedSource) Receive(ctx context.Context, out engine.Sink[string]) error {
	sink, ok := out.(engine.OffsetSink[string])
	if !ok {
		return fmt.Errorf("numbered source: the engine's sink keeps no offsets")
	}
	// Resend from the offset the write-ahead log kept; without the log, go
	// on after the last acknowledged block (what was acknowledged but not
	// yet checkpointed is lost then: at most the unprocessed blocks).
	off, ok := sink.RecoveredOffset()
	if !ok {
		if b, err := readFile(ctx, s.ssc, s.acked); err == nil {
			off, ok = strings.TrimSpace(b), true
		}
	}
	next := 0
	if ok {
		n, err := strconv.Atoi(off)
		if err != nil {
			return fmt.Errorf("numbered source: offset %q: %w", off, err)
		}
		next = n
		slog.Info("numbered source: resending from offset", "offset", next)
	}
	tick := time.NewTicker(time.Duration(float64(time.Second) * float64(s.chunk) / float64(s.rate)))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		block := make([]string, s.chunk) // the engine keeps the slice
		for i := range block {
			block[i] = "w" + strconv.Itoa((next+i)%s.words)
		}
		end := next + len(block)
		if err := sink.StoreBlockWithOffset(ctx, block, strconv.Itoa(end)); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err // not acknowledged: the engine restarts the source, which resends
		}
		next = end
		// The block is acknowledged: record it even while stopping.
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		err := writeFile(wctx, s.ssc, s.acked, strconv.Itoa(next))
		cancel()
		if err != nil {
			return fmt.Errorf("numbered source: record the acknowledged offset: %w", err)
		}
	}
}

func readFile(ctx context.Context, ssc *engine.Context, name string) (string, error) {
	fsys, p, err := ssc.FileSystem(ctx, name)
	if err != nil {
		return "", err
	}
	r, err := fsys.Open(ctx, p)
	if err != nil {
		return "", err
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	return string(b), err
}
