// Command statefulwordcount keeps a running count per word with
// updateStateByKey, like Spark's StatefulNetworkWordCount, and forgets words
// that have not been seen for a while.
//
// The state of every word is its total count and the number of batches since
// it was last seen; a word unseen for -forget batches is removed from the
// state (the update function returns no value). State needs a checkpoint
// directory (-checkpoint). At every batch the application prints the words
// with the highest totals and how many words the state holds.
//
// Run it fed by the built-in text generator, stopping after 10 seconds:
//
//	go run ./examples/statefulwordcount -duration 10s
//
// or on the lines typed into a socket (start "nc -lk 9999" first):
//
//	go run ./examples/statefulwordcount -source socket -addr localhost:9999 -forget 30
//
// or through gostream-submit:
//
//	go run ./cmd/gostream-submit --master 'local[2]' ./examples/statefulwordcount -duration 30s
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
	vocabulary int
	batch      time.Duration
	duration   time.Duration
	forget     int
	top        int
	checkpoint string
}

// wordState is what the state keeps per word.
type wordState struct {
	Total int64 // occurrences so far
	Idle  int   // batches since the word was last seen
}

func main() {
	var cfg config
	flag.StringVar(&cfg.source, "source", "generator", "where lines come from: generator (built-in synthetic text) or socket (a TCP server, see -addr)")
	flag.StringVar(&cfg.addr, "addr", "localhost:9999", "host:port of the TCP server for -source socket")
	flag.IntVar(&cfg.rate, "rate", 1000, "lines per second of the generator (0 = as fast as possible)")
	flag.IntVar(&cfg.vocabulary, "vocabulary", 5000, "distinct words of the generator")
	flag.DurationVar(&cfg.batch, "batch", time.Second, "batch duration")
	flag.DurationVar(&cfg.duration, "duration", 0, "stop gracefully after this long (0 = run until Ctrl-C)")
	flag.IntVar(&cfg.forget, "forget", 5, "forget a word after this many batches without it (0 = never)")
	flag.IntVar(&cfg.top, "top", 10, "how many words to print per batch")
	flag.StringVar(&cfg.checkpoint, "checkpoint", filepath.Join(os.TempDir(), "gostream-statefulwordcount"), "checkpoint directory for the state")
	flag.Parse()
	if err := cfg.check(); err != nil {
		fmt.Fprintln(os.Stderr, "statefulwordcount:", err)
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
	case cfg.rate < 0, cfg.vocabulary < 1:
		return fmt.Errorf("-rate must be 0 or more and -vocabulary at least 1")
	case cfg.batch <= 0, cfg.duration < 0:
		return fmt.Errorf("-batch must be positive and -duration 0 or more")
	case cfg.forget < 0, cfg.top < 1:
		return fmt.Errorf("-forget must be 0 or more and -top at least 1")
	case cfg.checkpoint == "":
		return fmt.Errorf("-checkpoint: the state needs a checkpoint directory")
	}
	return nil
}

// update is the state function: it adds the batch's counts of a word to its
// total, and removes a word idle for too long.
func update(forget int) func([]int64, engine.Opt[wordState]) engine.Opt[wordState] {
	return func(batch []int64, prev engine.Opt[wordState]) engine.Opt[wordState] {
		st := prev.Value
		if len(batch) == 0 {
			st.Idle++
			if forget > 0 && st.Idle >= forget {
				return engine.Opt[wordState]{} // forget the word
			}
			return engine.Some(st)
		}
		st.Idle = 0
		for _, n := range batch {
			st.Total += n
		}
		return engine.Some(st)
	}
}

// build defines the streaming graph.
func build(ssc *engine.Context, cfg config, out io.Writer) error {
	ssc.Checkpoint(cfg.checkpoint)
	var lines *engine.DStream[string]
	if cfg.source == "socket" {
		lines = engine.SocketTextStream(ssc, cfg.addr)
	} else {
		lines = engine.GeneratedTextStream(ssc, engine.GeneratorOptions{RecordsPerSec: cfg.rate, Vocabulary: cfg.vocabulary})
	}
	words := engine.FlatMap(lines, strings.FieldsSeq)
	counts := engine.ReduceByKey(
		engine.Map(words, func(w string) engine.Pair[string, int64] { return engine.KV(w, int64(1)) }),
		func(a, b int64) int64 { return a + b })
	state := engine.UpdateStateByKey(counts, update(cfg.forget)).Named("word totals")

	state.ForeachRDD(func(ctx context.Context, t time.Time, r *engine.RDD[engine.Pair[string, wordState]]) error {
		all, err := r.Collect(ctx)
		if err != nil {
			return err
		}
		slices.SortFunc(all, func(a, b engine.Pair[string, wordState]) int {
			return cmp.Or(cmp.Compare(b.Value.Total, a.Value.Total), strings.Compare(a.Key, b.Key))
		})
		var b strings.Builder
		fmt.Fprintf(&b, "-------------------------------------------\n")
		fmt.Fprintf(&b, "Time: %d ms (%s): %d words in the state\n", t.UnixMilli(), t.Format("15:04:05"), len(all))
		for _, kv := range all[:min(cfg.top, len(all))] {
			fmt.Fprintf(&b, "  %-12s %8d\n", kv.Key, kv.Value.Total)
		}
		_, err = io.WriteString(out, b.String())
		return err
	})

	if cfg.duration > 0 {
		time.AfterFunc(cfg.duration, func() {
			slog.Info("statefulwordcount: duration reached, stopping gracefully", "duration", cfg.duration)
			ssc.Stop(true)
		})
	}
	return nil
}
