package engine_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/engine/rdd"
	"github.com/gostream/gostream/engine/streamtest"
)

// nilAtSecondBatch is a transform function that returns no RDD (and no
// error) at the second batch: Spark fails such a batch ("Transform function
// must not return null").
func nilAtSecondBatch(h *streamtest.Harness) func(*engine.RDD[int], time.Time) (*engine.RDD[int], error) {
	return func(r *engine.RDD[int], bt time.Time) (*engine.RDD[int], error) {
		if bt.Equal(h.BatchTime(1)) {
			return nil, nil
		}
		return r, nil
	}
}

// checkNoRDDFailure requires that the second batch failed with ErrNoRDD,
// naming the transform and the batch.
func checkNoRDDFailure(t *testing.T, h *streamtest.Harness, err error) {
	t.Helper()
	if !errors.Is(err, engine.ErrNoRDD) {
		t.Fatalf("the batch must fail with ErrNoRDD; got %v", err)
	}
	if !containsAll(err.Error(), "transform", fmt.Sprint(h.BatchTime(1).UnixMilli()), "rdd.Empty") {
		t.Errorf("the error must name the operator, the batch and the fix: %v", err)
	}
}

func TestTransformReturningNoRDDFailsBatch(t *testing.T) {
	h := streamtest.New(t, time.Second)
	in, q := streamtest.Input[int](h)
	out := streamtest.Collect(h, engine.Transform(in, nilAtSecondBatch(h)))
	h.Start()
	q.Push(1)
	q.Push(2)
	h.Advance(1)
	checkNoRDDFailure(t, h, h.TryAdvance(1))
	checkBatches(t, h, out, [][]string{{"1"}, nil})
}

// TestUnionOfTransformReturningNoRDDFailsBatch: the union does not go on
// with the other parent's data alone.
func TestUnionOfTransformReturningNoRDDFailsBatch(t *testing.T) {
	h := streamtest.New(t, time.Second)
	in, q := streamtest.Input[int](h)
	out := streamtest.Collect(h, in.Union(engine.Transform(in, nilAtSecondBatch(h))))
	h.Start()
	q.Push(1)
	q.Push(2)
	h.Advance(1)
	checkNoRDDFailure(t, h, h.TryAdvance(1))
	checkBatches(t, h, out, [][]string{{"1", "1"}, nil})
}

// TestTransformAndUnionOffTheSlideAreNoError: a stream whose slide is a
// multiple of the batch has no RDD between its slides; a Transform or Union
// of it has the same slide and no RDD there either, without an error.
func TestTransformAndUnionOffTheSlideAreNoError(t *testing.T) {
	h := streamtest.New(t, time.Second)
	in, q := streamtest.Input[int](h)
	w := in.Window(2*time.Second, 2*time.Second)
	doubled := engine.Transform(w, func(r *engine.RDD[int], _ time.Time) (*engine.RDD[int], error) {
		return rdd.Map(r, func(x int) int { return 2 * x }), nil
	})
	out := streamtest.Collect(h, w.Union(doubled))
	h.Start()
	for i := 1; i <= 4; i++ {
		q.Push(i)
	}
	h.Advance(4)
	checkBatches(t, h, out, [][]string{nil, {"1", "2", "2", "4"}, nil, {"3", "4", "6", "8"}})
}

// failedBatches records the failed batches listeners are told about.
type failedBatches struct {
	engine.NopListener
	mu     sync.Mutex
	failed []engine.BatchInfo
}

func (l *failedBatches) OnBatchCompleted(b engine.BatchInfo) {
	if b.Err != nil {
		l.mu.Lock()
		l.failed = append(l.failed, b)
		l.mu.Unlock()
	}
}

// TestOnBatchFailure: by default a failed batch stops the context with its
// error; with gostream.streaming.onBatchFailure=continue (Spark's
// behaviour) listeners get it as a completed batch carrying its error, the
// next batches run, and AwaitTermination reports the error once the context
// is stopped.
func TestOnBatchFailure(t *testing.T) {
	errRefused := errors.New("sink refused the batch")
	for _, mode := range []string{conf.BatchFailureStop, conf.BatchFailureContinue} {
		t.Run(mode, func(t *testing.T) {
			h := streamtest.New(t, time.Second, streamtest.WithConf(conf.OnBatchFailure, mode))
			in, q := streamtest.Input[int](h)
			var written []int
			in.ForeachRDD(func(ctx context.Context, bt time.Time, r *engine.RDD[int]) error {
				if bt.Equal(h.BatchTime(1)) {
					return errRefused
				}
				items, err := r.Collect(ctx)
				written = append(written, items...)
				return err
			})
			failed := &failedBatches{}
			h.Ctx.AddListener(failed)
			h.Start()
			for i := 1; i <= 4; i++ {
				q.Push(i)
			}
			err := h.TryAdvance(4)
			if mode == conf.BatchFailureStop {
				if !errors.Is(err, errRefused) {
					t.Fatalf("the failed batch must stop the context with its error; got %v", err)
				}
				if !slices.Equal(written, []int{1}) {
					t.Errorf("batches after the failed one ran: wrote %v", written)
				}
				return
			}
			if err != nil {
				t.Fatalf("the batches after the failed one must run: %v", err)
			}
			if !slices.Equal(written, []int{1, 3, 4}) {
				t.Errorf("wrote %v, want [1 3 4]", written)
			}
			select {
			case <-h.Ctx.Done():
				t.Fatal("the context stopped on a failed batch")
			default:
			}
			h.Ctx.Stop(false)
			if err := h.Ctx.AwaitTermination(context.Background()); !errors.Is(err, errRefused) ||
				!strings.Contains(err.Error(), fmt.Sprint(h.BatchTime(1).UnixMilli())) {
				t.Errorf("after a stop, AwaitTermination must report the failed batch's error; got %v", err)
			}
			failed.mu.Lock()
			defer failed.mu.Unlock()
			if len(failed.failed) != 1 || !failed.failed[0].BatchTime.Equal(h.BatchTime(1)) || !errors.Is(failed.failed[0].Err, errRefused) {
				t.Errorf("listeners must get the failed batch once, with its error: %+v", failed.failed)
			}
		})
	}
}
