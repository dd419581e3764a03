package engine

import (
	"fmt"
	"time"
)

// Slice returns the stream's RDDs at its batch times from from to to, both
// included, oldest first (Spark's DStream.slice): for queries from an
// output function or another goroutine. As in Spark, a time that is not one
// of the stream's batch times is rounded down to one, and times up to the
// context's start have no RDD. Unlike Spark, which would generate them,
// times not generated yet are left out, and so are RDDs the stream no
// longer remembers (Context.Remember keeps them longer). Slice fails on a
// context not started.
func (d *DStream[T]) Slice(from, to time.Time) ([]*RDD[T], error) {
	c := d.ssc
	c.mu.Lock()
	started, last := c.state != initialized, c.lastGen
	c.mu.Unlock()
	if !started {
		return nil, fmt.Errorf("slice of %s: the streaming context has not been started; "+
			"slice once Start has returned (from an output function, say)", d.label())
	}
	if last.IsZero() {
		return nil, nil // no batch generated yet
	}
	zero, slide := c.graph.zero, d.n.slide
	first, end := floorTime(from, zero, slide), floorTime(to, zero, slide)
	if !first.After(zero) {
		first = zero.Add(slide)
	}
	if end.After(last) {
		end = floorTime(last, zero, slide)
	}
	forgotten := last.Add(-d.n.remember) // at or before it, RDDs may be gone
	var out []*RDD[T]
	for t := first; !t.After(end); t = t.Add(slide) {
		r, kept := d.n.rddAtMsOk(t.UnixMilli())
		if !kept {
			if !t.After(forgotten) {
				continue
			}
			// not generated because no output needs it: its parents remember at least as long
			var err error
			if r, err = d.rddAt(t); err != nil {
				return nil, fmt.Errorf("slice of %s: %w", d.label(), err)
			}
		}
		if rr, ok := r.(*RDD[T]); ok && rr != nil {
			out = append(out, rr)
		}
	}
	return out, nil
}

// floorTime is the last time zero + k × slide at or before t.
func floorTime(t, zero time.Time, slide time.Duration) time.Time {
	d := t.Sub(zero)
	k := d / slide
	if d < 0 && d%slide != 0 {
		k--
	}
	return zero.Add(k * slide)
}

// rddAtMsOk returns the RDD generated at batch time ms and whether the node
// still has it (nil when it produced none).
func (n *node) rddAtMsOk(ms int64) (any, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	r, ok := n.generated[ms]
	return r, ok
}
