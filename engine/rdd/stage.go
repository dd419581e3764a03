package rdd

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/gostream/gostream/engine/task"
)

// stage is a shuffle map stage: it runs once, its output is then read by the
// reduce side.
type stage interface {
	run(ctx context.Context) error
	ran() bool
	// lineage lists this stage and the stages its parent needs, run or not,
	// upstream first (as far as the parent still knows them).
	lineage() []stage
}

// Stage is a shuffle map stage as the engine sees it. A labelled stage's
// map tasks may run in another process that rebuilt the same RDD (Go
// cannot ship closures): the ref names the stage the same way in every
// process. It keeps its parent after running, because outputs held by a
// lost process are then recomputed here.
type Stage interface {
	// Label names the stage before it runs.
	Label(ref string)
	Ref() string
	// RunMapTask computes map partition m in this process and returns its
	// buckets encoded, one per reduce partition.
	RunMapTask(ctx context.Context, m int) ([][]byte, error)
	// Outputs says where each map partition's output is; ok is false when
	// some output is held by this process or the stage has not run.
	Outputs() (outs []MapOutput, ok bool)
	// SetOutputs marks the stage as run with its outputs elsewhere.
	SetOutputs(outs []MapOutput) error
	// Upstream lists the labelled stages this one reads, upstream first.
	Upstream() []Stage
}

// mapStage computes, for every partition of its parent, one bucket per
// reduce partition. Unless labelled, it forgets its parent once run, so old
// lineage can be freed.
type mapStage[T, B any] struct {
	id      string
	reduces int
	mapTask func(ctx context.Context, parent *RDD[T], p int) ([]B, error)
	env     *Env
	maps    int

	runMu   sync.Mutex // held while the stage runs: a second job needing it waits for the first
	mu      sync.Mutex // guards what follows
	ref     string
	done    bool
	parent  *RDD[T]     // nil once run, unless labelled
	outputs [][]B       // [map partition][reduce partition]; nil row: held elsewhere
	remote  []MapOutput // where the rows held elsewhere are
}

func newMapStage[T, B any](parent *RDD[T], reduces int, id string,
	mapTask func(ctx context.Context, parent *RDD[T], p int) ([]B, error)) *mapStage[T, B] {
	return &mapStage[T, B]{id: id, reduces: reduces, mapTask: mapTask, parent: parent, env: parent.env, maps: parent.parts}
}

func (s *mapStage[T, B]) ran() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.done
}

func (s *mapStage[T, B]) lineage() []stage {
	s.mu.Lock()
	parent := s.parent
	s.mu.Unlock()
	if parent == nil {
		return []stage{s}
	}
	return append(parent.lineage(), s)
}

func (s *mapStage[T, B]) run(ctx context.Context) error {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	s.mu.Lock()
	done, parent, ref := s.done, s.parent, s.ref
	s.mu.Unlock()
	if done {
		return nil
	}
	outputs := make([][]B, s.maps)
	remote := make([]MapOutput, s.maps)
	tasks := make([]Task, s.maps)
	for p := range tasks {
		tasks[p] = Task{Stage: s.id, Partition: p, Run: func(ctx context.Context) error {
			out, err := s.mapTask(ctx, parent, p)
			outputs[p] = out
			return err
		}}
		if ref != "" {
			tasks[p].Remote = &RemoteTask{Stage: s, Done: func(out MapOutput) { remote[p] = out }}
		}
	}
	if err := s.env.Backend.RunTasks(ctx, tasks); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outputs, s.remote, s.done = outputs, remote, true
	if ref == "" {
		s.parent = nil
	}
	return nil
}

// bucket returns map partition m's output for reduce partition p, reading
// it from the process that holds it. When the output is lost (its holder
// gone, or it no longer has it), the map task runs again here; when it
// cannot (the stage forgot its parent), that is a fetch failure.
func (s *mapStage[T, B]) bucket(ctx context.Context, m, p int) (B, error) {
	s.mu.Lock()
	if !s.done {
		s.mu.Unlock()
		var zero B
		return zero, fmt.Errorf("%s (%s) read before it ran", s.id, s.ref)
	}
	row, out, parent := s.outputs[m], s.remote[m], s.parent
	s.mu.Unlock()
	if row != nil {
		return row[p], nil
	}
	var zero B
	err := fmt.Errorf("no shuffle reader here (%w)", task.ErrOutputMissing)
	if s.env.Shuffle != nil {
		var data []byte
		if data, err = s.env.Shuffle.ReadBucket(ctx, out, p); err == nil {
			return decodeBucket[B](data)
		}
	}
	if !lostOutput(err) || ctx.Err() != nil {
		// Refused credentials, a protocol error or our own cancellation:
		// recomputing would not mend them.
		return zero, fmt.Errorf("%s: read map output %d from %s: %w", s.id, m, out.Executor, err)
	}
	if parent == nil {
		return zero, &task.FetchFailedError{Stage: s.label(), Map: m, Executor: out.Executor, Err: err}
	}
	row, err = s.mapTask(ctx, parent, m)
	if err != nil {
		return zero, fmt.Errorf("%s: recompute map output %d lost with %s: %w", s.id, m, out.Executor, err)
	}
	s.mu.Lock()
	s.outputs[m] = row
	s.mu.Unlock()
	return row[p], nil
}

// lostOutput says whether a failed read means the output is gone, so that
// computing it again is the remedy.
func lostOutput(err error) bool {
	k := task.KindOf(err)
	return k == task.ExecutorLost || k == task.FetchFailed || errors.Is(err, task.ErrOutputMissing)
}

// label names the stage in messages: its ref when labelled.
func (s *mapStage[T, B]) label() string {
	if ref := s.Ref(); ref != "" {
		return ref
	}
	return s.id
}

// Label implements Stage.
func (s *mapStage[T, B]) Label(ref string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ref = ref
}

// Ref implements Stage.
func (s *mapStage[T, B]) Ref() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ref
}

// RunMapTask implements Stage.
func (s *mapStage[T, B]) RunMapTask(ctx context.Context, m int) ([][]byte, error) {
	s.mu.Lock()
	parent := s.parent
	s.mu.Unlock()
	if parent == nil || m < 0 || m >= s.maps {
		return nil, fmt.Errorf("%s (%s): no map partition %d to compute here", s.id, s.ref, m)
	}
	buckets, err := s.mapTask(ctx, parent, m)
	if err != nil {
		return nil, err
	}
	return encodeBuckets(buckets)
}

// Outputs implements Stage.
func (s *mapStage[T, B]) Outputs() ([]MapOutput, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.done {
		return nil, false
	}
	for _, row := range s.outputs {
		if row != nil {
			return nil, false
		}
	}
	return s.remote, true
}

// SetOutputs implements Stage.
func (s *mapStage[T, B]) SetOutputs(outs []MapOutput) error {
	if len(outs) != s.maps {
		return fmt.Errorf("%s (%s): %d map outputs given for %d map partitions", s.id, s.ref, len(outs), s.maps)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outputs, s.remote, s.done = make([][]B, s.maps), outs, true
	return nil
}

// Upstream implements Stage.
func (s *mapStage[T, B]) Upstream() []Stage {
	var up []Stage
	for _, st := range dedup(s.lineage()) {
		if ls, ok := st.(Stage); ok && st != stage(s) && ls.Ref() != "" {
			up = append(up, ls)
		}
	}
	return up
}

// Stages lists the shuffle stages r is computed from, run or not, upstream
// first and each once: the engine labels them.
func Stages[T any](r *RDD[T]) []Stage {
	var out []Stage
	for _, st := range dedup(r.lineage()) {
		if ls, ok := st.(Stage); ok {
			out = append(out, ls)
		}
	}
	return out
}

func dedup(stages []stage) []stage {
	seen := map[stage]bool{}
	var out []stage
	for _, st := range stages {
		if !seen[st] {
			seen[st] = true
			out = append(out, st)
		}
	}
	return out
}

// labelledOnly returns stages, deduplicated, when every one is labelled;
// otherwise nil.
func labelledOnly(stages []stage) []stage {
	stages = dedup(stages)
	for _, st := range stages {
		if ls, ok := st.(Stage); !ok || ls.Ref() == "" {
			return nil
		}
	}
	return stages
}

func pendingOf(stages []stage) []stage {
	var out []stage
	for _, st := range stages {
		if !st.ran() {
			out = append(out, st)
		}
	}
	return out
}

// RunStages runs the shuffle stages r depends on that have not run yet.
func RunStages[T any](ctx context.Context, r *RDD[T]) error {
	for _, st := range dedup(r.pendingStages()) {
		if err := st.run(ctx); err != nil {
			return err
		}
	}
	return nil
}
