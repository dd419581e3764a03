package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/engine"
)

// recoveryRate is the generator's rate in the recovery benchmark: well
// within what word count sustains, so the figure is the cost of recovery.
const recoveryRate = 20_000

// recovery measures a driver restart: a stateful word count with the
// receiver WAL runs for a while in a child process, is killed with SIGKILL,
// stays down for the downtime, and restarts on the same checkpoint
// directory. The figure is the time from the restart to the first completed
// batch, and to the completion of the batch of the restart time (caught up).
func (b *bench) recovery() error {
	dir, err := os.MkdirTemp("", "gostream-bench-recovery-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	run := exec.Command(self, "-master", b.master, "-recovery-phase", "run:"+dir)
	run.Stderr = os.Stderr
	if err := run.Start(); err != nil {
		return err
	}
	time.Sleep(8 * time.Second)
	_ = run.Process.Signal(syscall.SIGKILL)
	_ = run.Wait()
	fmt.Fprintf(os.Stderr, "recovery: driver killed, down for %s\n", b.downtime)
	time.Sleep(b.downtime)
	restart := exec.Command(self, "-master", b.master, "-recovery-phase", "restart:"+dir)
	restart.Stderr = os.Stderr
	out, err := restart.Output()
	if err != nil {
		return fmt.Errorf("recovery restart: %w", err)
	}
	var fig map[string]any
	if err := json.Unmarshal(out, &fig); err != nil {
		return fmt.Errorf("recovery restart printed %q: %w", out, err)
	}
	fig["bench"], fig["master"], fig["downtime_s"], fig["batch_ms"] = "recovery", b.master, b.downtime.Seconds(), batch.Milliseconds()
	fig["input_records_per_sec"] = recoveryRate
	return b.out.Encode(fig)
}

// runRecoveryPhase is the child side: "run:<dir>" runs until killed;
// "restart:<dir>" recovers, prints the figures once caught up, and exits.
func runRecoveryPhase(master, spec string) error {
	phase, dir, ok := strings.Cut(spec, ":")
	if !ok || (phase != "run" && phase != "restart") {
		return fmt.Errorf("-recovery-phase %q: want run:<dir> or restart:<dir>", spec)
	}
	start := time.Now()
	c := conf.Defaults()
	for k, v := range map[string]string{conf.Master: master, conf.ReceiverWALEnable: "true"} {
		if err := c.Set(k, v); err != nil {
			return err
		}
	}
	setup := func(ssc *engine.Context) error {
		pairs := engine.Map(engine.FlatMap(engine.GeneratedTextStream(ssc, engine.GeneratorOptions{RecordsPerSec: recoveryRate, Seed: 1}),
			strings.FieldsSeq), one)
		totals := engine.UpdateStateByKey(pairs, func(vs []int64, s engine.Opt[int64]) engine.Opt[int64] {
			n := s.Value
			for _, v := range vs {
				n += v
			}
			return engine.Some(n)
		})
		countEach(totals)
		return nil
	}
	ssc, err := engine.GetOrCreate(dir, batch, setup, engine.WithConf(c),
		engine.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		return err
	}
	w := &recoveryWatch{restart: start, caughtUp: make(chan struct{})}
	ssc.AddListener(w)
	if err := ssc.Start(); err != nil {
		return err
	}
	if phase == "run" {
		return ssc.AwaitTermination(context.Background()) // until killed
	}
	select {
	case <-w.caughtUp:
	case <-time.After(10 * time.Minute):
		return fmt.Errorf("not caught up within 10 minutes")
	}
	ssc.Stop(false)
	w.mu.Lock()
	defer w.mu.Unlock()
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"first_batch_completed_ms": w.first.Milliseconds(),
		"caught_up_ms":             w.caught.Milliseconds(),
		"batches_until_caught_up":  w.batches,
	})
}

// recoveryWatch notes the first completed batch after a restart, and the
// completion of the first batch at or after the restart time.
type recoveryWatch struct {
	engine.NopListener
	restart  time.Time
	caughtUp chan struct{}

	mu            sync.Mutex
	first, caught time.Duration
	batches       int
	done          bool
}

func (w *recoveryWatch) OnBatchCompleted(b engine.BatchInfo) {
	w.mu.Lock()
	defer w.mu.Unlock()
	since := time.Since(w.restart)
	if w.batches == 0 {
		w.first = since
	}
	w.batches++
	if !w.done && !b.BatchTime.Before(w.restart) {
		w.done, w.caught = true, since
		close(w.caughtUp)
	}
}
