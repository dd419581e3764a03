package engine

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
)

// What inputs save in a checkpoint so that recovery re-creates exactly the
// batches they produced before (checkpoint_data.go, field "inputs").

// fileStreamProgress: the files each remembered batch took. Recovery gives a
// recorded batch exactly its files again, and every later batch skips them.
type fileStreamProgress struct {
	StartMs  int64              `json:"startMs"`
	Selected map[int64][]string `json:"selected"` // batch time (ms) → files
}

func (f *fileStream) saveProgress() (json.RawMessage, error) {
	f.mu.Lock()
	p := fileStreamProgress{StartMs: f.start.UnixMilli(), Selected: maps.Clone(f.selected)}
	f.mu.Unlock()
	return json.Marshal(p)
}

func (f *fileStream) restoreProgress(raw json.RawMessage, _ int64) error {
	var p fileStreamProgress
	if err := json.Unmarshal(raw, &p); err != nil {
		return fmt.Errorf("file stream %s: %w", f.dir, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for ms, files := range p.Selected {
		f.selected[ms] = files
		for _, file := range files {
			f.seen[file] = ms
		}
	}
	return nil
}

// queueProgress: how many pushes had been taken after each remembered
// batch. Queue streams exist for tests; after a restart the setup function
// pushes the same data again, and the queue drops what completed batches took.
type queueProgress struct {
	TakenAfter map[int64]int64 `json:"takenAfter"` // batch time (ms) → pushes taken
}

func (q *Queue[T]) saveProgress() (json.RawMessage, error) {
	q.mu.Lock()
	p := queueProgress{TakenAfter: maps.Clone(q.takenAfter)}
	q.mu.Unlock()
	return json.Marshal(p)
}

func (q *Queue[T]) restoreProgress(raw json.RawMessage, lastCompletedMs int64) error {
	var p queueProgress
	if err := json.Unmarshal(raw, &p); err != nil {
		return fmt.Errorf("queue stream: %w", err)
	}
	var best, at int64 = 0, -1
	for ms, n := range p.TakenAfter {
		if ms <= lastCompletedMs && ms > at {
			best, at = n, ms
		}
	}
	q.mu.Lock()
	q.discard = best
	q.mu.Unlock()
	return nil
}

// noteBatch records the queue's position after batch ms took its pushes,
// remembering the last few batches only.
func (q *Queue[T]) noteBatch(ms int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.takenAfter == nil {
		q.takenAfter = map[int64]int64{}
	}
	q.takenAfter[ms] = q.popped
	if len(q.takenAfter) > queueRemembered {
		delete(q.takenAfter, slices.Min(slices.Collect(maps.Keys(q.takenAfter))))
	}
}

// queueRemembered bounds noteBatch's memory.
const queueRemembered = 64
