// Command filestream counts the words of the text files that appear in a
// directory and saves each batch's counts as text files.
//
// TextFileStream watches the -in directory: every file moved into it while
// the application runs becomes part of the next batch. Files must appear
// atomically (write them elsewhere, then rename them into the directory);
// files already there at start and names beginning with "." or "_" are
// ignored. Each batch's word counts are printed and written by
// SaveAsTextFiles into a directory named after the -out prefix and the batch
// time (PREFIX-TIME_IN_MS), one part file per partition, one "(word,count)"
// per line. The -in directory is created if it does not exist.
//
// Run it for a minute:
//
//	go run ./examples/filestream -in /tmp/gostream-in -out /tmp/gostream-out/counts -duration 1m
//
// and, in another terminal, drop files into the directory:
//
//	echo "to be or not to be" > /tmp/words.txt && mv /tmp/words.txt /tmp/gostream-in/
//	cat /tmp/gostream-out/counts-*/part-*
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gostream/gostream"
	"github.com/gostream/gostream/engine"
)

type config struct {
	in, out  string
	batch    time.Duration
	duration time.Duration
}

func main() {
	base := filepath.Join(os.TempDir(), "gostream-filestream")
	var cfg config
	flag.StringVar(&cfg.in, "in", filepath.Join(base, "in"), "directory to watch for new text files")
	flag.StringVar(&cfg.out, "out", filepath.Join(base, "out", "counts"), "prefix of the output directories (PREFIX-TIME_IN_MS)")
	flag.DurationVar(&cfg.batch, "batch", 2*time.Second, "batch duration")
	flag.DurationVar(&cfg.duration, "duration", 0, "stop gracefully after this long (0 = run until Ctrl-C)")
	flag.Parse()
	if err := cfg.check(); err != nil {
		fmt.Fprintln(os.Stderr, "filestream:", err)
		flag.Usage()
		os.Exit(2)
	}
	// A local directory is created; an hdfs:// one must exist (a missing
	// directory gives empty batches, as in Spark).
	if !strings.Contains(cfg.in, "://") {
		if err := os.MkdirAll(cfg.in, 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "filestream:", err)
			os.Exit(1)
		}
	}

	// The engine logs through slog's default logger: readable text on stderr.
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	slog.Info("filestream: watching for new files", "in", cfg.in, "out", cfg.out+"-TIME_IN_MS")
	gostream.Main(cfg.batch, func(ssc *engine.Context) error { return build(ssc, cfg) })
}

func (cfg config) check() error {
	switch {
	case cfg.in == "", cfg.out == "":
		return fmt.Errorf("-in and -out must not be empty")
	case cfg.batch <= 0, cfg.duration < 0:
		return fmt.Errorf("-batch must be positive and -duration 0 or more")
	}
	return nil
}

// build defines the streaming graph.
func build(ssc *engine.Context, cfg config) error {
	lines := engine.TextFileStream(ssc, cfg.in)
	words := engine.FlatMap(lines, strings.FieldsSeq)
	counts := engine.ReduceByKey(
		engine.Map(words, func(w string) engine.Pair[string, int64] { return engine.KV(w, int64(1)) }),
		func(a, b int64) int64 { return a + b })
	counts.Print(10)
	counts.SaveAsTextFiles(cfg.out, "")

	if cfg.duration > 0 {
		time.AfterFunc(cfg.duration, func() {
			slog.Info("filestream: duration reached, stopping gracefully", "duration", cfg.duration)
			ssc.Stop(true)
		})
	}
	return nil
}
