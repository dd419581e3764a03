// Command windowedcounts counts words over a sliding window, incrementally:
// reduceByKeyAndWindow with an inverse function adds the batches that enter
// the window and subtracts those that leave it, instead of recounting the
// whole window at every slide, and a filter drops the words whose count fell
// to zero so that the state does not keep every word ever seen. The windowed
// state needs a checkpoint directory (-checkpoint).
//
// At every slide the application prints the most frequent words of the last
// window. By default the window is 30 seconds and slides every 10 seconds,
// with 1-second batches; the window and the slide must be multiples of the
// batch duration.
//
// Run it fed by the built-in text generator for a minute:
//
//	go run ./examples/windowedcounts -duration 1m
//
// with a short window:
//
//	go run ./examples/windowedcounts -window 4s -slide 2s -duration 10s
//
// or on the lines typed into a socket (start "nc -lk 9999" first):
//
//	go run ./examples/windowedcounts -source socket -addr localhost:9999
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
	window     time.Duration
	slide      time.Duration
	duration   time.Duration
	top        int
	checkpoint string
}

func main() {
	var cfg config
	flag.StringVar(&cfg.source, "source", "generator", "where lines come from: generator (built-in synthetic text) or socket (a TCP server, see -addr)")
	flag.StringVar(&cfg.addr, "addr", "localhost:9999", "host:port of the TCP server for -source socket")
	flag.IntVar(&cfg.rate, "rate", 1000, "lines per second of the generator (0 = as fast as possible)")
	flag.DurationVar(&cfg.batch, "batch", time.Second, "batch duration")
	flag.DurationVar(&cfg.window, "window", 30*time.Second, "window length (a multiple of -batch)")
	flag.DurationVar(&cfg.slide, "slide", 10*time.Second, "how often the window moves and is printed (a multiple of -batch)")
	flag.DurationVar(&cfg.duration, "duration", 0, "stop gracefully after this long (0 = run until Ctrl-C)")
	flag.IntVar(&cfg.top, "top", 10, "how many words to print per window")
	flag.StringVar(&cfg.checkpoint, "checkpoint", filepath.Join(os.TempDir(), "gostream-windowedcounts"), "checkpoint directory for the windowed state")
	flag.Parse()
	if err := cfg.check(); err != nil {
		fmt.Fprintln(os.Stderr, "windowedcounts:", err)
		flag.Usage()
		os.Exit(2)
	}

	// The engine logs through slog's default logger: readable text on stderr.
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	gostream.Main(cfg.batch, func(ssc *engine.Context) error { return build(ssc, cfg, os.Stdout) })
}

func (cfg config) check() error {
	switch {
	case cfg.source != "generator" && cfg.source != "socket":
		return fmt.Errorf("-source %q: use generator or socket", cfg.source)
	case cfg.rate < 0:
		return fmt.Errorf("-rate %d: must be 0 or more", cfg.rate)
	case cfg.batch <= 0, cfg.duration < 0:
		return fmt.Errorf("-batch must be positive and -duration 0 or more")
	case cfg.window <= 0 || cfg.window%cfg.batch != 0, cfg.slide <= 0 || cfg.slide%cfg.batch != 0:
		return fmt.Errorf("-window %s and -slide %s must be positive multiples of -batch %s", cfg.window, cfg.slide, cfg.batch)
	case cfg.top < 1:
		return fmt.Errorf("-top %d: must be at least 1", cfg.top)
	case cfg.checkpoint == "":
		return fmt.Errorf("-checkpoint: the windowed state needs a checkpoint directory")
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
	windowed := engine.ReduceByKeyAndWindowInv(ones,
		func(a, b int64) int64 { return a + b }, // a batch enters the window
		func(a, b int64) int64 { return a - b }, // a batch leaves it
		cfg.window, cfg.slide,
		func(kv engine.Pair[string, int64]) bool { return kv.Value != 0 }, // drop words no longer in the window
	).Named("windowed word counts")

	windowed.ForeachRDD(func(ctx context.Context, t time.Time, r *engine.RDD[engine.Pair[string, int64]]) error {
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
		fmt.Fprintf(&b, "Time: %d ms (%s), window of %s: %d words, %d distinct\n",
			t.UnixMilli(), t.Format("15:04:05"), cfg.window, words, len(all))
		for _, kv := range all[:min(cfg.top, len(all))] {
			fmt.Fprintf(&b, "  %-12s %8d\n", kv.Key, kv.Value)
		}
		_, err = io.WriteString(out, b.String())
		return err
	})

	if cfg.duration > 0 {
		time.AfterFunc(cfg.duration, func() {
			slog.Info("windowedcounts: duration reached, stopping gracefully", "duration", cfg.duration)
			ssc.Stop(true)
		})
	}
	return nil
}
