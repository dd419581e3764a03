// Command tinyapp is the application gostream-submit's end-to-end tests run:
// it reports its role and configuration, counts the words of the built-in
// generator, and stops after -duration (0: on a signal) with exit status
// -exit.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/internal/procenv"
)

func main() {
	duration := flag.Duration("duration", 0, "stop after this long (0: on SIGINT/SIGTERM)")
	exit := flag.Int("exit", 0, "exit status")
	flag.Parse()
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	fmt.Printf("tinyapp: role=%s args=%q\n", os.Getenv(procenv.Role), flag.Args())
	engine.Main(200*time.Millisecond, func(ssc *engine.Context) error {
		c := ssc.Conf()
		fmt.Printf("tinyapp: master=%s name=%s blockInterval=%s\n", c.String(conf.Master), c.String(conf.AppName), c.String(conf.BlockInterval))
		lines := engine.GeneratedTextStream(ssc, engine.GeneratorOptions{RecordsPerSec: 500, Vocabulary: 10})
		words := engine.FlatMap(lines, strings.FieldsSeq)
		words.Count().ForeachRDD(func(ctx context.Context, t time.Time, r *engine.RDD[int64]) error {
			n, err := r.Collect(ctx)
			if err == nil && len(n) > 0 && n[0] > 0 {
				fmt.Printf("tinyapp: batch %d: %d words\n", t.UnixMilli(), n[0])
			}
			return err
		})
		if *duration > 0 {
			time.AfterFunc(*duration, func() { ssc.Stop(true) })
		}
		return nil
	})
	fmt.Println("tinyapp: stopped")
	os.Exit(*exit)
}
