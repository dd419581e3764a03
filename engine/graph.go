package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"
)

// node is one operator of the DStream graph, type-erased. Its id is its
// position in the graph, so every process that runs the same setup function
// gives every operator the same id.
type node struct {
	id      int
	kind    string // "map", "window", "socketTextStream", …
	name    string // optional, user-given
	params  string // what, besides kind and parents, makes the operator what it is
	parents []*node
	slide   time.Duration

	// Memory of generated RDDs: they are kept remember long after their time.
	remember    time.Duration
	parentExtra time.Duration // a window needs its parents to remember this much more
	persist     bool          // cache generated RDDs: they are read by later batches
	stateful    bool          // each RDD depends on the previous one: force it every batch
	// eager: force every RDD in its own batch, though only a window sliding
	// slower reads it. Left to the window's slide, the batches of a whole
	// slide would be computed in that one batch, slide/batch times as long
	// as the others, while the CPU idles in those.
	eager bool

	// Checkpointing (checkpoint.go, checkpoint_interval.go). A stateful node
	// saves its RDD every snapshotEvery (0: every batch); snapshotSpan > 0
	// saves every RDD of that last span too (the batches a
	// reduceByKeyAndWindow still subtracts when its input cannot replay).
	ckptInterval  time.Duration // set by DStream.Checkpoint; 0: the default; not in the fingerprint
	stateOf       *node         // the stateful node a Checkpoint call on this stream configures
	snapshotEvery time.Duration
	snapshotSpan  time.Duration

	input *input // an input's part; nil for operators with parents

	// remoteOK: the RDD at t is computed from the inputs' RDDs at t alone,
	// so an executor can rebuild it (remote_tasks.go).
	remoteOK bool
	typed    typedRDD // what needs the element type

	mu        sync.Mutex
	generated map[int64]any // batch time (ms) → *rdd.RDD[T], nil when none at that time
}

// input is what an input node has besides being an operator.
type input struct {
	// generate builds the RDD of batch t: inputs take their batch's data at
	// its time, even when nothing reads it until later.
	generate func(t time.Time)
	// Replayable inputs re-create a completed batch after a restart (from
	// the WAL, or what the source saved) for replayKeep after it completed.
	replayable bool
	replayKeep time.Duration
	// The input's progress (files taken, queue position, offsets), saved in
	// checkpoints; nil for receivers, whose blocks the tracker saves.
	saveProgress    func() (json.RawMessage, error)
	restoreProgress func(raw json.RawMessage, lastCompletedMs int64) error
	// forget trims the input's own memory of completed batches.
	forget func(done time.Time)
}

// inputStream is an input that runs while the context is active: a receiver.
type inputStream interface {
	run(recvCtx, hardCtx context.Context)
}

// rddAtMs returns the RDD generated at batch time ms, or nil.
func (n *node) rddAtMs(ms int64) any {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.generated[ms]
}

// graph is the set of operators of one Context, in creation order.
type graph struct {
	nodes   []*node
	outputs []*outputOp
	inputs  []inputStream
	zero    time.Time // time before the first batch; valid times are zero + k × slide
}

func (g *graph) add(n *node) *node {
	n.id = len(g.nodes)
	n.generated = map[int64]any{}
	g.nodes = append(g.nodes, n)
	return n
}

// validTime reports whether t is a batch time at which n produces an RDD.
func (g *graph) validTime(n *node, t time.Time) bool {
	d := t.Sub(g.zero)
	return d > 0 && d%n.slide == 0
}

// describe is one line per operator and output: what the fingerprint hashes,
// and what an error shows when the graph changed.
func (g *graph) describe() []string {
	var lines []string
	for _, n := range g.nodes {
		ids := make([]string, len(n.parents))
		for i, p := range n.parents {
			ids[i] = fmt.Sprint(p.id)
		}
		line := fmt.Sprintf("#%d %s(%s) slide=%s", n.id, n.kind, strings.Join(ids, ","), n.slide)
		if n.name != "" {
			line += fmt.Sprintf(" name=%q", n.name)
		}
		if n.params != "" {
			line += " " + n.params
		}
		lines = append(lines, line)
	}
	for i, o := range g.outputs {
		lines = append(lines, fmt.Sprintf("output %d %s(#%d)", i, o.kind, o.node.id))
	}
	return lines
}

// fingerprint identifies the graph's shape: same setup code, same fingerprint.
func (g *graph) fingerprint() string {
	sum := sha256.Sum256([]byte(strings.Join(g.describe(), "\n")))
	return hex.EncodeToString(sum[:8])
}

// setRemember makes n keep its RDDs at least d, and its parents as long as
// n may still need theirs.
func (n *node) setRemember(d time.Duration) {
	if d > n.remember {
		n.remember = d
	}
	for _, p := range n.parents {
		p.setRemember(n.remember + n.parentExtra)
	}
}

// forget drops the RDDs generated at or before t - remember.
func (n *node) forget(t time.Time) {
	limit := t.Add(-n.remember).UnixMilli()
	n.mu.Lock()
	for ms := range n.generated {
		if ms <= limit {
			delete(n.generated, ms)
		}
	}
	n.mu.Unlock()
	if n.input != nil && n.input.forget != nil {
		n.input.forget(t)
	}
}

// retention is how long an input must be able to re-create a completed
// batch: for the windows below it, and for replaying state after a restart.
func (n *node) retention() time.Duration { return max(n.remember, n.input.replayKeep) }

// checkpointed reports whether the checkpointer saves n's RDDs.
func (n *node) checkpointed() bool { return n.stateful || n.snapshotSpan > 0 }

// forgetAt drops the RDD generated at batch time ms.
func (n *node) forgetAt(ms int64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.generated, ms)
}

// restoreRDD puts back a saved RDD of batch time ms.
func (n *node) restoreRDD(ms int64, r any) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.generated[ms] = r
}
