package engine

import (
	"cmp"
	"fmt"
	"time"
)

// State snapshots at an interval (Spark's DStream.checkpoint(interval)).
//
// A stateful stream saves its state every checkpoint interval, at the batch
// times zero + k × interval; a snapshot that could not be written is tried
// again at the next batch, and until one is written the batch does not
// count as completed, so the newest snapshot is never more than an interval
// older than the checkpoint's last completed batch. Recovery restores each
// stateful stream from its newest snapshot ts and recomputes the batches
// (ts, lastCompleted] for the state only (their outputs ran before the
// restart): generating a state RDD asks for the previous one, down to the
// restored snapshot. That needs the inputs of those past batches again, so
// every input above a stateful stream keeps what its completed batches took
// for the interval plus one batch (plus the windows on the way): receiver
// streams their blocks in the write-ahead log, file streams the files of
// each batch (which must still exist).
//
// Inputs that cannot re-create a past batch — queue streams, which are for
// tests, and receivers without the write-ahead log — and stateful streams
// fed by another stateful stream keep snapshotting every batch, whatever
// the interval; an inverse windowed reduction over them also saves its
// per-batch reductions of the last window (snapshotSpan).
//
// The interval is not part of the graph fingerprint: it changes when state
// is saved, not what is computed, so an upgrade that tunes it still
// recovers from the old checkpoint.

// Checkpoint sets how often the stream's state is saved, as Spark's
// DStream.checkpoint: a positive multiple of its slide duration. It applies
// to stateful streams — UpdateStateByKey, MapWithState (and its
// StateSnapshots), the windowed reductions with an inverse function
// (CountByWindow, CountByValueAndWindow); on another stream, or with a bad
// interval, Start reports a graph error. The default is ten slides, at least
// 10 s, rounded up to whole slides. A longer interval writes less; a restart
// recomputes up to one interval of batches from the inputs. Over a queue
// stream or a receiver without the write-ahead log, which cannot re-create
// past batches, the state is saved every batch instead.
func (d *DStream[T]) Checkpoint(interval time.Duration) *DStream[T] {
	n := d.n.stateBehind()
	if n == nil {
		d.ssc.graphError(fmt.Errorf("checkpoint(%s) on %s: only stateful streams save state "+
			"(UpdateStateByKey, MapWithState, StateSnapshots, windowed reductions with an inverse function)", interval, d.label()))
		return d
	}
	if checkMultiple(d.ssc, "checkpoint", n, "checkpoint interval", interval) {
		n.ckptInterval = interval
	}
	return d
}

// stateBehind is the stateful node a Checkpoint call on n configures: n
// itself, or the state behind a stream derived from it.
func (n *node) stateBehind() *node {
	if n.stateful {
		return n
	}
	return n.stateOf
}

// defaultCheckpointInterval is max(10 × slide, 10 s), rounded up to a
// multiple of the slide.
func defaultCheckpointInterval(slide time.Duration) time.Duration {
	d := max(10*slide, 10*time.Second)
	return (d + slide - 1) / slide * slide
}

// planSnapshots decides how often each stateful node is saved and how long
// the inputs above it keep their completed batches for replay. Recovery runs
// it before Start; running it again changes nothing.
func (c *Context) planSnapshots() {
	for _, n := range c.graph.nodes {
		if !n.stateful {
			continue
		}
		if !n.canReplay() {
			n.snapshotEvery = 0
			if n.parentExtra > 0 { // the batches an inverse window subtracts after a restart
				for _, p := range n.parents {
					p.snapshotSpan = max(p.snapshotSpan, n.parentExtra)
				}
			}
			continue
		}
		n.snapshotEvery = cmp.Or(n.ckptInterval, defaultCheckpointInterval(n.slide))
		n.keepForReplay(n.snapshotEvery + c.batch)
	}
}

// canReplay reports whether n's past RDDs can be recomputed after a
// restart: every input above it re-creates its past batches, and no other
// stateful node lies on the way (its RDDs before its own snapshot are gone).
func (n *node) canReplay() bool {
	for _, p := range n.parents {
		switch {
		case len(p.parents) == 0:
			if !p.input.replayable {
				return false
			}
		case p.stateful || !p.canReplay():
			return false
		}
	}
	return true
}

// keepForReplay makes the inputs above n keep their completed batches for
// span, plus what the windows on the way read before each batch.
func (n *node) keepForReplay(span time.Duration) {
	if len(n.parents) == 0 {
		n.input.replayKeep = max(n.input.replayKeep, span)
		return
	}
	for _, p := range n.parents {
		p.keepForReplay(span + n.parentExtra)
	}
}
