// Command failingapp is the YARN application gostream-submit's client-mode
// tests run: it counts the words of the built-in generator, whose receiver
// runs on an executor, and with -fail the first batch holding records fails
// with that message, which fails the driver; with -fail-setup the setup
// function fails with that message (in the driver, before the application
// master starts). Without either it runs until a signal stops it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/gostream/gostream"
	"github.com/gostream/gostream/engine"
)

func main() {
	fail := flag.String("fail", "", "fail the first batch with records, with this message")
	failSetup := flag.String("fail-setup", "", "fail the setup function with this message")
	flag.Parse()
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	gostream.Main(500*time.Millisecond, func(ssc *engine.Context) error {
		if *failSetup != "" {
			return errors.New(*failSetup)
		}
		lines := engine.GeneratedTextStream(ssc, engine.GeneratorOptions{RecordsPerSec: 200, Vocabulary: 10})
		words := engine.FlatMap(lines, strings.FieldsSeq)
		words.Count().ForeachRDD(func(ctx context.Context, t time.Time, r *engine.RDD[int64]) error {
			n, err := r.Collect(ctx)
			if err != nil || len(n) == 0 || n[0] == 0 {
				return err
			}
			fmt.Printf("failingapp: batch %d: %d words\n", t.UnixMilli(), n[0])
			if *fail != "" {
				return errors.New(*fail)
			}
			return nil
		})
		return nil
	})
}
