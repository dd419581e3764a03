// Command memhogapp is the YARN application of gostream-submit's memory
// test: it counts the lines of the built-in generator in ForeachPartition,
// whose tasks run on executors; on executor -executor (1 by default) the
// first task allocates and touches -mb MiB and holds them, so that a
// NodeManager enforcing physical memory kills that executor's container.
package main

import (
	"context"
	"flag"
	"iter"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/gostream/gostream"
	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/internal/procenv"
)

func main() {
	mb := flag.Int("mb", 600, "MiB the hogging executor allocates and holds")
	executor := flag.String("executor", "1", "id of the executor that hogs memory")
	flag.Parse()
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	hog := os.Getenv(procenv.ExecutorID) == *executor
	var (
		once sync.Once
		held [][]byte
	)
	gostream.Main(500*time.Millisecond, func(ssc *engine.Context) error {
		lines := engine.GeneratedTextStream(ssc, engine.GeneratorOptions{RecordsPerSec: 100, Vocabulary: 10})
		lines.ForeachPartition(func(ctx context.Context, _ time.Time, _ int, items iter.Seq[string]) error {
			for range items {
			}
			if hog {
				once.Do(func() {
					slog.Info("memhogapp: allocating", "MiB", *mb)
					for range *mb {
						b := make([]byte, 1<<20)
						for i := 0; i < len(b); i += 4096 { // touch every page: resident, not just reserved
							b[i] = 1
						}
						held = append(held, b)
					}
				})
			}
			return nil
		})
		return nil
	})
}
