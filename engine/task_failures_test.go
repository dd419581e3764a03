package engine_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/engine"
)

// flakySink counts the attempts of each partition task of an output and
// fails the first fails of them: shared by the driver's and the
// "executors'" copies of the graph.
type flakySink struct {
	fails int

	mu       sync.Mutex
	attempts map[string]int // "<batch ms>/<partition>" → attempts
}

func (f *flakySink) setup(q *engine.Queue[string]) engine.Setup {
	return func(ssc *engine.Context) error {
		engine.CountByValue(engine.QueueStream(ssc, q, true), 2).ForeachPartition(
			func(_ context.Context, t time.Time, p int, items iter.Seq[engine.Pair[string, int64]]) error {
				for range items {
				}
				f.mu.Lock()
				defer f.mu.Unlock()
				key := fmt.Sprintf("%d/%d", t.UnixMilli(), p)
				f.attempts[key]++
				if n := f.attempts[key]; n <= f.fails {
					return fmt.Errorf("flaky sink: attempt %d of %s", n, key)
				}
				return nil
			})
		return nil
	}
}

// runFlaky runs one batch of the flaky sink's application with
// gostream.task.maxFailures = maxFailures, on the local master or with its
// output's tasks on two fake executors, and returns how the batch ended.
func runFlaky(t *testing.T, f *flakySink, maxFailures int, remote bool) error {
	t.Helper()
	c := conf.Defaults()
	must(t, c.Set(conf.Master, "local[2]"))
	must(t, c.Set(conf.TaskMaxFailures, fmt.Sprint(maxFailures)))
	q := engine.NewQueue[string]()
	q.Push("a", "b", "a", "c")
	clock := engine.NewManualClock(time.UnixMilli(1_000_000_000_000))
	opts := []engine.Option{engine.WithClock(clock), engine.WithStdout(io.Discard),
		engine.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))}
	var host *fakeHost
	if remote {
		host = newFakeHost()
		for range 2 {
			host.servers = append(host.servers, engine.NewExecutor(c, time.Second, f.setup(q)).TaskRunner(host, nil))
		}
		opts = append(opts, engine.WithTaskHost(host))
	}
	ssc, err := engine.NewContext(c, time.Second, opts...)
	must(t, err)
	must(t, f.setup(q)(ssc))
	done := make(chan struct{}, 1)
	ssc.AddListener(batchDone{ch: done})
	must(t, ssc.Start())
	defer ssc.Stop(false)
	clock.Set(time.UnixMilli(1_000_000_001_000))
	select {
	case <-done:
	case <-ssc.Done():
		return ssc.AwaitTermination(context.Background())
	case <-time.After(20 * time.Second):
		t.Fatal("the batch neither completed nor failed")
	}
	if remote && host.tasks() == 0 {
		t.Error("no task ran on an executor")
	}
	return nil
}

// TestTaskOwnErrorsAreRetried: a task whose own code fails is tried again,
// up to gostream.task.maxFailures attempts in all; then the batch fails
// with the task's error. The same on the local master and on executors.
func TestTaskOwnErrorsAreRetried(t *testing.T) {
	for _, remote := range []bool{false, true} {
		name := map[bool]string{false: "local", true: "executors"}[remote]
		t.Run(name+"/recovers", func(t *testing.T) {
			f := &flakySink{fails: 2, attempts: map[string]int{}}
			if err := runFlaky(t, f, 3, remote); err != nil {
				t.Fatalf("batch failed: %v", err)
			}
			if len(f.attempts) != 2 {
				t.Errorf("attempts %v, want both partitions' tasks", f.attempts)
			}
			for key, n := range f.attempts {
				if n != 3 {
					t.Errorf("partition %s: %d attempts, want 3", key, n)
				}
			}
		})
		t.Run(name+"/gives up", func(t *testing.T) {
			f := &flakySink{fails: 10, attempts: map[string]int{}}
			err := runFlaky(t, f, 2, remote)
			if err == nil || !strings.Contains(err.Error(), "flaky sink") || !strings.Contains(err.Error(), "maxFailures=2") {
				t.Fatalf("batch error %v, want the sink's error after 2 attempts", err)
			}
			if errors.Is(err, context.Canceled) {
				t.Errorf("batch error %v is a cancellation", err)
			}
			for key, n := range f.attempts {
				if n > 2 {
					t.Errorf("partition %s: %d attempts, want at most 2", key, n)
				}
			}
		})
	}
}
