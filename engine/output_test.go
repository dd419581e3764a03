package engine_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/engine/streamtest"
)

// printed is what Print writes for one batch, per Spark's DStream.print.
func printed(t time.Time, lines ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "-------------------------------------------\nTime: %d ms\n-------------------------------------------\n", t.UnixMilli())
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	b.WriteString("\n")
	return b.String()
}

func TestPrint(t *testing.T) {
	nums := func(lo, hi int) []int {
		var out []int
		for i := lo; i <= hi; i++ {
			out = append(out, i)
		}
		return out
	}
	cases := []struct {
		name  string
		n     int
		batch []int
		lines []string
	}{
		{"fewer than n", 3, []int{7, 8}, []string{"7", "8"}},
		{"exactly n", 3, []int{1, 2, 3}, []string{"1", "2", "3"}},
		{"more than n", 3, []int{1, 2, 3, 4}, []string{"1", "2", "3", "..."}},
		{"default n is 10", 0, nums(1, 25), []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "..."}},
		{"empty batch prints the header only", 5, nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := newManualCtx(t, time.Second, nil)
			q := engine.NewQueue[int]()
			engine.QueueStream(m.ssc, q, true).Print(tc.n)
			if err := m.ssc.Start(); err != nil {
				t.Fatal(err)
			}
			q.Push(tc.batch...)
			bt := streamtest.Epoch.Add(time.Second)
			m.clock.Set(bt)
			if err := m.waitCompleted(1); err != nil {
				t.Fatal(err)
			}
			if got, want := m.out.String(), printed(bt, tc.lines...); got != want {
				t.Errorf("printed:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// TestPrintPairs: elements print with their String form, e.g. (k,v).
func TestPrintPairs(t *testing.T) {
	m := newManualCtx(t, time.Second, nil)
	q := engine.NewQueue[kvi]()
	engine.QueueStream(m.ssc, q, true).Print(10)
	if err := m.ssc.Start(); err != nil {
		t.Fatal(err)
	}
	q.Push(ki("a", 1))
	q.Push()
	m.clock.Set(streamtest.Epoch.Add(time.Second))
	m.clock.Set(streamtest.Epoch.Add(2 * time.Second))
	if err := m.waitCompleted(2); err != nil {
		t.Fatal(err)
	}
	want := printed(streamtest.Epoch.Add(time.Second), "(a,1)") + printed(streamtest.Epoch.Add(2*time.Second))
	if got := m.out.String(); got != want {
		t.Errorf("printed:\n%s\nwant:\n%s", got, want)
	}
}

// readSaved returns the lines of every part file of a saved batch directory,
// and the part file names.
func readSaved(t *testing.T, dir string) (lines []string, parts []string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("saved batch directory: %v", err)
	}
	for _, e := range entries {
		parts = append(parts, e.Name())
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for l := range strings.Lines(string(data)) {
			lines = append(lines, strings.TrimSuffix(l, "\n"))
		}
	}
	slices.Sort(lines)
	return lines, parts
}

func TestSaveAsTextFiles(t *testing.T) {
	for _, suffix := range []string{"txt", ""} {
		t.Run("suffix="+suffix, func(t *testing.T) {
			root := t.TempDir()
			h := streamtest.New(t, time.Second)
			in, q := streamtest.Input[string](h)
			in.Repartition(3).SaveAsTextFiles(filepath.Join(root, "out"), suffix)
			h.Start()
			q.Push("x", "y", "z", "w")
			q.Push()
			h.Advance(2)
			name := func(i int) string {
				n := fmt.Sprintf("out-%d", h.BatchTime(i).UnixMilli())
				if suffix != "" {
					n += "." + suffix
				}
				return n
			}
			lines, parts := readSaved(t, filepath.Join(root, name(0)))
			if !slices.Equal(lines, []string{"w", "x", "y", "z"}) {
				t.Errorf("batch 0 lines: %q", lines)
			}
			if !slices.Equal(parts, []string{"part-00000", "part-00001", "part-00002"}) {
				t.Errorf("batch 0 part files: %q", parts)
			}
			// an empty batch still gets its directory, with empty parts
			lines, parts = readSaved(t, filepath.Join(root, name(1)))
			if len(lines) != 0 || len(parts) != 3 {
				t.Errorf("empty batch: lines %q, parts %q", lines, parts)
			}
			entries, _ := os.ReadDir(root)
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			if want := []string{name(0), name(1)}; !slices.Equal(names, want) {
				t.Errorf("directory holds %q, want exactly %q (no temporary left)", names, want)
			}
		})
	}
}

// TestSaveAsTextFilesReplacesOnRerun runs the same batch time twice (as a
// recovery would): the second run's output replaces the first's whole.
func TestSaveAsTextFilesReplacesOnRerun(t *testing.T) {
	root := t.TempDir()
	prefix := filepath.Join(root, "counts")
	run := func(parts int, items ...string) {
		h := streamtest.New(t, time.Second)
		in, q := streamtest.Input[string](h)
		in.Repartition(parts).SaveAsTextFiles(prefix, "out")
		h.Start()
		q.Push(items...)
		h.Advance(1)
		h.Ctx.Stop(false)
	}
	run(4, "first-1", "first-2", "first-3", "first-4", "first-5")
	run(2, "second-1")
	h := streamtest.New(t, time.Second) // for BatchTime only
	dir := fmt.Sprintf("%s-%d.out", prefix, h.BatchTime(0).UnixMilli())
	lines, parts := readSaved(t, dir)
	if !slices.Equal(lines, []string{"second-1"}) {
		t.Errorf("after the re-run: lines %q, want only the second run's", lines)
	}
	if !slices.Equal(parts, []string{"part-00000", "part-00001"}) {
		t.Errorf("after the re-run: parts %q; the first run's extra parts must be gone", parts)
	}
	entries, _ := os.ReadDir(root)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("root holds %q; want only the batch directory", names)
	}
}

func TestForeachPartition(t *testing.T) {
	h := streamtest.New(t, time.Second)
	in, q := streamtest.Input[int](h)
	type call struct {
		bt    int64
		part  int
		items []int
	}
	var mu sync.Mutex
	var calls []call
	in.Repartition(3).ForeachPartition(func(ctx context.Context, bt time.Time, p int, items iter.Seq[int]) error {
		c := call{bt: bt.UnixMilli(), part: p, items: slices.Collect(items)}
		mu.Lock()
		calls = append(calls, c)
		mu.Unlock()
		return nil
	})
	h.Start()
	q.Push(1, 2, 3, 4, 5, 6, 7)
	q.Push()
	h.Advance(2)
	mu.Lock()
	defer mu.Unlock()
	for i := range 2 {
		bt := h.BatchTime(i).UnixMilli()
		var parts, all []int
		for _, c := range calls {
			if c.bt == bt {
				parts = append(parts, c.part)
				all = append(all, c.items...)
			}
		}
		slices.Sort(parts)
		slices.Sort(all)
		if !slices.Equal(parts, []int{0, 1, 2}) {
			t.Errorf("batch %d: partitions %v, want each of 0..2 once", i, parts)
		}
		want := []int{1, 2, 3, 4, 5, 6, 7}
		if i == 1 {
			want = nil
		}
		if !slices.Equal(all, want) {
			t.Errorf("batch %d: items %v, want %v", i, all, want)
		}
	}
	if len(calls) != 6 {
		t.Errorf("%d calls, want 6 (3 partitions × 2 batches)", len(calls))
	}
}

// TestForeachPartitionStopsEarly: a function that stops reading a partition
// early is fine.
func TestForeachPartitionStopsEarly(t *testing.T) {
	h := streamtest.New(t, time.Second)
	in, q := streamtest.Input[int](h)
	var mu sync.Mutex
	var firsts []int
	in.ForeachPartition(func(_ context.Context, _ time.Time, _ int, items iter.Seq[int]) error {
		for x := range items {
			mu.Lock()
			firsts = append(firsts, x)
			mu.Unlock()
			break
		}
		return nil
	})
	h.Start()
	q.Push(1, 2, 3, 4, 5, 6)
	h.Advance(1)
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(firsts)
	if len(firsts) != 2 {
		t.Errorf("first elements %v, want one per partition", firsts)
	}
}

// TestFailingOutputStopsContext: an output that panics or returns an error
// fails its batch; the context stops, and AwaitTermination returns an error
// carrying the cause.
func TestFailingOutputStopsContext(t *testing.T) {
	cases := []struct {
		name   string
		output func(d *engine.DStream[int], failAt time.Time)
		want   []string
		isErr  error
	}{
		{"foreachPartition panics", func(d *engine.DStream[int], _ time.Time) {
			d.ForeachPartition(func(_ context.Context, _ time.Time, p int, items iter.Seq[int]) error {
				for x := range items {
					if x == 3 {
						panic("sink exploded on 3")
					}
				}
				return nil
			})
		}, []string{"sink exploded on 3", "foreachPartition"}, nil},
		{"foreachRDD panics", func(d *engine.DStream[int], failAt time.Time) {
			d.ForeachRDD(func(_ context.Context, bt time.Time, _ *engine.RDD[int]) error {
				if bt.Equal(failAt) {
					panic("driver side boom")
				}
				return nil
			})
		}, []string{"driver side boom", "foreachRDD"}, nil},
		{"foreachRDD returns an error", func(d *engine.DStream[int], failAt time.Time) {
			d.ForeachRDD(func(_ context.Context, bt time.Time, _ *engine.RDD[int]) error {
				if bt.Equal(failAt) {
					return errSink
				}
				return nil
			})
		}, []string{"sink unavailable"}, errSink},
		{"foreachPartition returns an error", func(d *engine.DStream[int], failAt time.Time) {
			d.ForeachPartition(func(_ context.Context, bt time.Time, _ int, _ iter.Seq[int]) error {
				if bt.Equal(failAt) {
					return errSink
				}
				return nil
			})
		}, []string{"sink unavailable"}, errSink},
		{"a map function panics in a task", func(d *engine.DStream[int], _ time.Time) {
			engine.Map(d, func(x int) int {
				if x == 2 {
					panic("map cannot take 2")
				}
				return x
			}).Print(10)
		}, []string{"map cannot take 2"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := streamtest.New(t, time.Second)
			in, q := streamtest.Input[int](h)
			tc.output(in, h.BatchTime(1))
			h.Start()
			q.Push(1)
			h.Advance(1) // the first batch is fine
			q.Push(1, 2, 3)
			err := h.TryAdvance(1)
			if err == nil {
				t.Fatal("the failing batch reported no error")
			}
			if !containsAll(err.Error(), tc.want...) {
				t.Errorf("TryAdvance error %q should mention %q", err, tc.want)
			}
			awaited := waitDone(t, h.Ctx)
			if awaited == nil || !containsAll(awaited.Error(), tc.want...) {
				t.Errorf("AwaitTermination: %v; want the failure %q", awaited, tc.want)
			}
			if !strings.Contains(awaited.Error(), fmt.Sprint(h.BatchTime(1).UnixMilli())) {
				t.Errorf("the error should name the failed batch's time: %v", awaited)
			}
			if tc.isErr != nil && !errors.Is(awaited, tc.isErr) {
				t.Errorf("the error should wrap the output's error: %v", awaited)
			}
			select {
			case <-h.Ctx.Done():
			default:
				t.Error("Done is not closed after AwaitTermination returned")
			}
		})
	}
}

var errSink = errors.New("sink unavailable")
