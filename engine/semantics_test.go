package engine_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

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
