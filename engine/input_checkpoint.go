package engine

import (
	"encoding/json"
	"fmt"
	"maps"
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
