package rdd

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gostream/gostream/engine/task"
)

// TestLocalBackendSlotLimit: tasks of concurrent RunTasks calls share the
// slots: at most Slots run at once.
func TestLocalBackendSlotLimit(t *testing.T) {
	for _, slots := range []int{1, 3} {
		t.Run(fmt.Sprintf("slots=%d", slots), func(t *testing.T) {
			b := NewLocalBackend(slots, task.Policy{})
			if b.Slots() != slots {
				t.Fatalf("Slots() = %d", b.Slots())
			}
			var running, peak, done atomic.Int64
			gate := make(chan struct{})
			task := func(ctx context.Context) error {
				n := running.Add(1)
				for {
					p := peak.Load()
					if n <= p || peak.CompareAndSwap(p, n) {
						break
					}
				}
				<-gate
				running.Add(-1)
				done.Add(1)
				return nil
			}
			var wg sync.WaitGroup
			for c := range 3 { // three jobs at once
				wg.Go(func() {
					tasks := make([]Task, 5)
					for i := range tasks {
						tasks[i] = Task{Stage: fmt.Sprint("job", c), Partition: i, Run: task}
					}
					if err := b.RunTasks(context.Background(), tasks); err != nil {
						t.Error(err)
					}
				})
			}
			// wait until the slots are full, give extra tasks a chance to
			// (wrongly) start, then let everything finish
			deadline := time.Now().Add(30 * time.Second)
			for running.Load() < int64(slots) {
				if time.Now().After(deadline) {
					t.Fatalf("only %d tasks started with %d slots", running.Load(), slots)
				}
				time.Sleep(time.Millisecond)
			}
			time.Sleep(20 * time.Millisecond)
			if r := running.Load(); r != int64(slots) {
				t.Errorf("%d tasks running with %d slots", r, slots)
			}
			close(gate)
			wg.Wait()
			if p := peak.Load(); p > int64(slots) {
				t.Errorf("peak of %d running tasks with %d slots", p, slots)
			}
			if d := done.Load(); d != 15 {
				t.Errorf("%d of 15 tasks ran", d)
			}
		})
	}
	if NewLocalBackend(0, task.Policy{}).Slots() != 1 {
		t.Error("a backend has at least one slot")
	}
}

func TestTaskErrors(t *testing.T) {
	b := NewLocalBackend(2, task.Policy{})
	sentinel := errors.New("bad input")
	cases := []struct {
		name      string
		tasks     int
		run       func(p int) error
		wantPanic bool
		wantMsg   []string
		wantIs    error
	}{
		{"panic in the only task", 1, func(int) error { panic("index out of range [7]") },
			true, []string{"stage-x", "partition 0", "panicked", "index out of range [7]"}, nil},
		{"panic in one of several", 4, func(p int) error {
			if p == 2 {
				panic(fmt.Sprintf("boom at %d", p))
			}
			return nil
		}, true, []string{"partition 2", "boom at 2"}, nil},
		{"error", 3, func(p int) error {
			if p == 1 {
				return fmt.Errorf("reading: %w", sentinel)
			}
			return nil
		}, false, []string{"stage-x", "partition 1", "bad input"}, sentinel},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tasks := make([]Task, tc.tasks)
			for p := range tasks {
				tasks[p] = Task{Stage: "stage-x", Partition: p, Run: func(context.Context) error { return tc.run(p) }}
			}
			err := b.RunTasks(context.Background(), tasks)
			te, ok := errors.AsType[*task.Error](err)
			if !ok {
				t.Fatalf("error %v (%T) is not a *task.Error", err, err)
			}
			if (te.Panic != "") != tc.wantPanic {
				t.Errorf("Panic = %q", te.Panic)
			}
			if tc.wantPanic && !strings.Contains(te.Panic, "goroutine") {
				t.Errorf("Panic should hold the stack: %q", te.Panic)
			}
			for _, m := range tc.wantMsg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q lacks %q", err, m)
				}
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("error %v does not wrap %v", err, tc.wantIs)
			}
			if te.Stage != "stage-x" {
				t.Errorf("Stage = %q", te.Stage)
			}
		})
	}
}

// TestFailureCancelsOtherTasks: the first failure cancels the context of
// the tasks still running, and RunTasks returns that first failure.
func TestFailureCancelsOtherTasks(t *testing.T) {
	b := NewLocalBackend(4, task.Policy{})
	started := make(chan struct{}, 3)
	var cancelled atomic.Int64
	tasks := []Task{{Stage: "s", Partition: 0, Run: func(context.Context) error {
		for range 3 {
			<-started
		}
		return errors.New("first failure")
	}}}
	for p := 1; p <= 3; p++ {
		tasks = append(tasks, Task{Stage: "s", Partition: p, Run: func(ctx context.Context) error {
			started <- struct{}{}
			select {
			case <-ctx.Done():
				cancelled.Add(1)
				return ctx.Err()
			case <-time.After(30 * time.Second):
				return errors.New("not cancelled")
			}
		}})
	}
	err := b.RunTasks(context.Background(), tasks)
	if err == nil || !strings.Contains(err.Error(), "first failure") {
		t.Fatalf("RunTasks = %v, want the first failure", err)
	}
	if n := cancelled.Load(); n != 3 {
		t.Errorf("%d of 3 running tasks saw the cancellation", n)
	}
}

// TestTaskErrorNotWrappedTwice: a task error from a nested action keeps its
// own stage and partition.
func TestTaskErrorNotWrappedTwice(t *testing.T) {
	inner := &task.Error{Stage: "inner", Partition: 3, Err: errors.New("deep")}
	err := RunTask(context.Background(), Task{Stage: "outer", Partition: 0, Run: func(context.Context) error { return inner }})
	if err != inner {
		t.Errorf("RunTask = %v, want the inner task error unchanged", err)
	}
}

// TestActionPanics: a panic inside an RDD's computation surfaces from the
// action as a *task.Error naming the action's stage.
func TestActionPanics(t *testing.T) {
	env := testEnv(2, 2)
	r := Map(Parallelize(env, []int{1, 2, 3, 4}, 2), func(x int) int {
		if x == 4 {
			panic("four is not allowed")
		}
		return x
	})
	_, err := r.Collect(context.Background())
	te, ok := errors.AsType[*task.Error](err)
	if !ok || te.Panic == "" || te.Stage != "collect" || te.Partition != 1 || !strings.Contains(err.Error(), "four is not allowed") {
		t.Errorf("Collect error %v (%+v)", err, te)
	}
	// in a shuffle's map stage
	kv := Map(r, func(x int) Pair[int, int] { return KV(x, x) })
	_, err = ReduceByKey(kv, func(a, b int) int { return a + b }, 2).Collect(context.Background())
	if te, ok := errors.AsType[*task.Error](err); !ok || te.Panic == "" || !strings.Contains(te.Stage, "shuffle map") {
		t.Errorf("shuffle error %v", err)
	}
	// ForeachPartition's own function
	err = Parallelize(env, []int{1}, 1).ForeachPartition(context.Background(), "sink", func(context.Context, int, iter.Seq[int]) error {
		panic("sink panic")
	})
	if te, ok := errors.AsType[*task.Error](err); !ok || te.Stage != "sink" || !strings.Contains(err.Error(), "sink panic") {
		t.Errorf("ForeachPartition error %v", err)
	}
}

// TestFailedShuffleStageRetries: a map stage that failed did not run: the
// next action runs it again (and can succeed).
func TestFailedShuffleStageRetries(t *testing.T) {
	env := testEnv(2, 2)
	var fail atomic.Bool
	fail.Store(true)
	src := Map(Parallelize(env, []int{1, 2, 3}, 2), func(x int) Pair[int, int] {
		if fail.Load() {
			panic("transient")
		}
		return KV(x%2, x)
	})
	r := ReduceByKey(src, func(a, b int) int { return a + b }, 2)
	if _, err := r.Collect(context.Background()); err == nil {
		t.Fatal("the first run should fail")
	}
	fail.Store(false)
	got, err := r.Collect(context.Background())
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	sum := 0
	for _, kv := range got {
		sum += kv.Value
	}
	if len(got) != 2 || sum != 6 {
		t.Errorf("retry result %v", got)
	}
}

// TestCancelledContext: RunTasks on a cancelled context returns the
// context's error, and never keeps a slot: afterwards every slot is free.
func TestCancelledContext(t *testing.T) {
	b := NewLocalBackend(1, task.Policy{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tasks := make([]Task, 3)
	for i := range tasks {
		tasks[i] = Task{Stage: "s", Partition: i, Run: func(context.Context) error { return nil }}
	}
	for range 200 { // the slot and the cancellation are both ready: try both orders
		if err := b.RunTasks(ctx, tasks); !errors.Is(err, context.Canceled) {
			t.Fatalf("RunTasks on a cancelled context = %v, want context.Canceled", err)
		}
	}
	checkSlotsFree(t, b)
}

// TestFailureReleasesSlots: when a task fails while RunTasks waits for a slot
// for the next one, no slot is lost.
func TestFailureReleasesSlots(t *testing.T) {
	b := NewLocalBackend(1, task.Policy{})
	for range 200 {
		tasks := []Task{{Stage: "s", Partition: 0, Run: func(context.Context) error { return errors.New("fails") }}}
		for p := 1; p < 4; p++ {
			tasks = append(tasks, Task{Stage: "s", Partition: p, Run: func(context.Context) error { return nil }})
		}
		if err := b.RunTasks(context.Background(), tasks); err == nil {
			t.Fatal("the failure was lost")
		}
	}
	checkSlotsFree(t, b)
}

// checkSlotsFree runs Slots tasks that wait for each other: they can only
// finish if every slot is free.
func checkSlotsFree(t *testing.T, b *LocalBackend) {
	t.Helper()
	n := b.Slots()
	var arrived sync.WaitGroup
	arrived.Add(n)
	tasks := make([]Task, n)
	for i := range tasks {
		tasks[i] = Task{Stage: "check", Partition: i, Run: func(ctx context.Context) error {
			arrived.Done()
			arrived.Wait()
			return nil
		}}
	}
	done := make(chan error, 1)
	go func() { done <- b.RunTasks(context.Background(), tasks) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("slots were lost: tasks cannot get one")
	}
}
