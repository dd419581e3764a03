package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Source is an input that decides each batch's data itself, without a
// receiver: a direct input, as Spark's Kafka direct stream is. The engine
// asks it for each batch's RDD at the batch's time, saves its progress in
// every checkpoint, gives that progress back after a restart, and tells it
// which batches it will not ask for again. SourceStream turns one into a
// DStream. The engine calls a source from one goroutine at a time, on the
// driver.
type Source[T any] interface {
	// Batch returns the RDD of batch time t and the number of records it
	// holds (-1 when not known until it is read). It is called once per
	// batch time, in order. After a restart it is called again for the
	// batches that were pending, and, when Replayable, for completed
	// batches the engine re-creates (for windows and state): it must then
	// return the data those batches had, which the restored progress tells.
	Batch(ctx context.Context, t time.Time) (r *RDD[T], records int64, err error)
	// Replayable reports whether Batch can re-create a completed batch
	// after a restart. State downstream of a source that cannot is saved
	// every batch.
	Replayable() bool
	// Progress is what a checkpoint keeps of the source, as JSON: enough
	// to re-create the batches it may be asked for again, and to go on
	// after them (offsets, files taken, …).
	Progress() (json.RawMessage, error)
	// Restore gives back a checkpoint's progress before the first batch;
	// lastCompleted is the newest batch that had completed.
	Restore(progress json.RawMessage, lastCompleted time.Time) error
	// Forget says that no batch at or before t will be asked for again, not
	// even after a restart: the source may drop what it kept for them.
	Forget(t time.Time)
}

// SourceStream makes src an input stream. kind names it in messages and,
// with params (what else makes it what it is, e.g. the topics it reads),
// in the graph's fingerprint: a checkpoint refuses a graph whose sources
// changed.
func SourceStream[T any](ssc *Context, kind, params string, src Source[T]) *DStream[T] {
	n := &node{kind: kind, params: params, slide: ssc.batch, input: &input{replayable: src.Replayable(),
		saveProgress: src.Progress,
		restoreProgress: func(raw json.RawMessage, lastCompletedMs int64) error {
			return src.Restore(raw, time.UnixMilli(lastCompletedMs))
		}}}
	n.input.forget = func(done time.Time) { src.Forget(done.Add(-n.retention())) }
	return newStream(ssc, n, func(t time.Time) (*RDD[T], error) {
		ctx, cancel := context.WithTimeout(context.Background(), ssc.settings.networkTimeout)
		defer cancel()
		r, records, err := src.Batch(ctx, t)
		if err != nil {
			return nil, err
		}
		if r == nil {
			return nil, fmt.Errorf("%s gave batch %d no RDD", kind, t.UnixMilli())
		}
		ssc.recordInput(t, n.id, max(records, 0))
		return r, nil
	})
}
