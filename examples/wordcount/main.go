// Command wordcount counts words live: at every batch it prints the most
// frequent words of the batch and of all batches so far.
//
// Lines come from the built-in text generator (the default) or, like Spark's
// NetworkWordCount, from a TCP server. Each line is split into words
// (flatMap), each word paired with 1 (map) and the pairs summed per word
// (reduceByKey); updateStateByKey keeps the running totals, which makes the
// application stateful, so it needs a checkpoint directory (-checkpoint).
// The engine logs a statistics line per batch on stderr.
//
// Run it on the embedded local master, stopping gracefully after 10 seconds:
//
//	go run ./examples/wordcount -duration 10s
//
// Count the words typed into a socket (start "nc -lk 9999" in another
// terminal first, then type lines into it; Ctrl-C stops):
//
//	go run ./examples/wordcount -source socket -addr localhost:9999
//
// Run it through gostream-submit with 4 task slots:
//
//	go run ./cmd/gostream-submit --master 'local[4]' ./examples/wordcount -duration 30s
//
// Flags: -source generator|socket, -addr host:port, -rate records/s of the
// generator, -batch duration, -duration (0 = until Ctrl-C), -top N,
// -checkpoint dir.
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gostream/gostream"
	"github.com/gostream/gostream/engine"
)

type config struct {
	source     string
	addr       string
	rate       int
	batch      time.Duration
	duration   time.Duration
	top        int
	checkpoint string
}

func main() {
	var cfg config
	flag.StringVar(&cfg.source, "source", "generator", "where lines come from: generator (built-in synthetic text) or socket (a TCP server, see -addr)")
	flag.StringVar(&cfg.addr, "addr", "localhost:9999", "host:port of the TCP server for -source socket")
	flag.IntVar(&cfg.rate, "rate", 2000, "lines per second of the generator (0 = as fast as possible)")
	flag.DurationVar(&cfg.batch, "batch", time.Second, "batch duration")
	flag.DurationVar(&cfg.duration, "duration", 0, "stop gracefully after this long (0 = run until Ctrl-C)")
	flag.IntVar(&cfg.top, "top", 10, "how many words to print per batch")
	flag.StringVar(&cfg.checkpoint, "checkpoint", filepath.Join(os.TempDir(), "gostream-wordcount"), "checkpoint directory for the running totals")
	flag.Parse()
	if err := cfg.check(); err != nil {
		fmt.Fprintln(os.Stderr, "wordcount:", err)
		flag.Usage()
		os.Exit(2)
	}

	// The engine logs through slog's default logger: make it readable text
	// on stderr, leaving stdout to the results.
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	gostream.Main(cfg.batch, func(ssc *engine.Context) error { return build(ssc, cfg, os.Stdout) })
}

func (cfg config) check() error {
	switch {
	case cfg.source != "generator" && cfg.source != "socket":
		return fmt.Errorf("-source %q: use generator or socket", cfg.source)
	case cfg.rate < 0:
		return fmt.Errorf("-rate %d: must be 0 or more", cfg.rate)
	case cfg.batch <= 0:
		return fmt.Errorf("-batch %s: must be positive", cfg.batch)
	case cfg.duration < 0:
		return fmt.Errorf("-duration %s: must be 0 or more", cfg.duration)
	case cfg.top < 1:
		return fmt.Errorf("-top %d: must be at least 1", cfg.top)
	case cfg.checkpoint == "":
		return fmt.Errorf("-checkpoint: the running totals need a checkpoint directory")
	}
	return nil
}

// build defines the streaming graph.
func build(ssc *engine.Context, cfg config, out io.Writer) error {
	ssc.Checkpoint(cfg.checkpoint)
	var lines *engine.DStream[string]
	if cfg.source == "socket" {
		lines = engine.SocketTextStream(ssc, cfg.addr)
	} else {
		lines = engine.GeneratedTextStream(ssc, engine.GeneratorOptions{RecordsPerSec: cfg.rate})
	}

	words := engine.FlatMap(lines, strings.FieldsSeq)
	ones := engine.Map(words, func(w string) engine.Pair[string, int64] { return engine.KV(w, int64(1)) })
	counts := engine.ReduceByKey(ones, func(a, b int64) int64 { return a + b })
	totals := engine.UpdateStateByKey(counts, func(batch []int64, total engine.Opt[int64]) engine.Opt[int64] {
		sum := total.Value
		for _, n := range batch {
			sum += n
		}
		return engine.Some(sum)
	})

	counts.ForeachRDD(printTop(out, "this batch", cfg.top))
	totals.ForeachRDD(printTop(out, "running total", cfg.top))

	if cfg.duration > 0 {
		time.AfterFunc(cfg.duration, func() {
			slog.Info("wordcount: duration reached, stopping gracefully", "duration", cfg.duration)
			ssc.Stop(true)
		})
	}
	return nil
}

// printTop returns an output function printing the n most frequent words of
// each batch's RDD.
func printTop(out io.Writer, title string, n int) func(context.Context, time.Time, *engine.RDD[engine.Pair[string, int64]]) error {
	return func(ctx context.Context, t time.Time, r *engine.RDD[engine.Pair[string, int64]]) error {
		all, err := r.Collect(ctx)
		if err != nil {
			return err
		}
		var words int64
		for _, kv := range all {
			words += kv.Value
		}
		slices.SortFunc(all, func(a, b engine.Pair[string, int64]) int {
			return cmp.Or(cmp.Compare(b.Value, a.Value), strings.Compare(a.Key, b.Key))
		})
		var b strings.Builder
		fmt.Fprintf(&b, "-------------------------------------------\n")
		fmt.Fprintf(&b, "Time: %d ms (%s), %s: %d words, %d distinct\n", t.UnixMilli(), t.Format("15:04:05"), title, words, len(all))
		for _, kv := range all[:min(n, len(all))] {
			fmt.Fprintf(&b, "  %-12s %8d\n", kv.Key, kv.Value)
		}
		_, err = io.WriteString(out, b.String())
		return err
	}
}
