package rdd

import (
	"context"
	"sync"
)

// stage is a shuffle map stage: it runs once, its output is then read by the
// reduce side. Once run it forgets its parent, so old lineage can be freed.
type stage interface {
	run(ctx context.Context) error
}

// mapStage computes, for every partition of its parent, one bucket per
// reduce partition.
type mapStage[T, B any] struct {
	id      string
	reduces int
	mapTask func(ctx context.Context, parent *RDD[T], p int) ([]B, error)

	mu      sync.Mutex
	parent  *RDD[T] // nil once run
	outputs [][]B   // [map partition][reduce partition]
}

func newMapStage[T, B any](parent *RDD[T], reduces int, id string,
	mapTask func(ctx context.Context, parent *RDD[T], p int) ([]B, error)) *mapStage[T, B] {
	return &mapStage[T, B]{id: id, reduces: reduces, mapTask: mapTask, parent: parent}
}

// pending lists what must run before the reduce side can read this stage.
func (s *mapStage[T, B]) pending() []stage {
	s.mu.Lock()
	parent := s.parent
	s.mu.Unlock()
	if parent == nil {
		return nil
	}
	return append(parent.pendingStages(), s)
}

func (s *mapStage[T, B]) run(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock() // a second job needing the same stage waits for the first
	parent := s.parent
	if parent == nil {
		return nil
	}
	outputs := make([][]B, parent.parts)
	tasks := make([]Task, parent.parts)
	for p := range tasks {
		tasks[p] = Task{Stage: s.id, Partition: p, Run: func(ctx context.Context) error {
			out, err := s.mapTask(ctx, parent, p)
			outputs[p] = out
			return err
		}}
	}
	if err := parent.env.Backend.RunTasks(ctx, tasks); err != nil {
		return err
	}
	s.outputs, s.parent = outputs, nil
	return nil
}

// bucket returns map partition m's output for reduce partition p.
func (s *mapStage[T, B]) bucket(m, p int) B {
	return s.outputs[m][p]
}

func (s *mapStage[T, B]) maps() int { return len(s.outputs) }

// RunStages runs the shuffle stages r depends on that have not run yet.
func RunStages[T any](ctx context.Context, r *RDD[T]) error {
	seen := map[stage]bool{}
	for _, st := range r.pendingStages() {
		if seen[st] {
			continue
		}
		seen[st] = true
		if err := st.run(ctx); err != nil {
			return err
		}
	}
	return nil
}
