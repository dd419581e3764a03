// Package logtest records what code logs through log/slog, for tests that
// check what an operator would read.
package logtest

import (
	"context"
	"log/slog"
	"sync"
)

// Record is one logged line: its level, message and attributes (values as
// slog prints them; groups are left out of the keys).
type Record struct {
	Level   slog.Level
	Message string
	Attrs   map[string]string
}

// Recorder is a slog.Handler that keeps every record, at every level. The
// handlers derived from it with WithAttrs share its records.
type Recorder struct {
	store *store
	attrs []slog.Attr
}

type store struct {
	mu      sync.Mutex
	records []Record
}

// New returns an empty recorder and a logger writing to it.
func New() (*Recorder, *slog.Logger) {
	r := &Recorder{store: &store{}}
	return r, slog.New(r)
}

// Records returns what was logged so far, oldest first.
func (r *Recorder) Records() []Record {
	r.store.mu.Lock()
	defer r.store.mu.Unlock()
	return append([]Record(nil), r.store.records...)
}

func (r *Recorder) Enabled(context.Context, slog.Level) bool { return true }

func (r *Recorder) Handle(_ context.Context, rec slog.Record) error {
	attrs := map[string]string{}
	for _, a := range r.attrs {
		attrs[a.Key] = a.Value.String()
	}
	rec.Attrs(func(a slog.Attr) bool {
		attrs[a.Key] = a.Value.String()
		return true
	})
	r.store.mu.Lock()
	r.store.records = append(r.store.records, Record{Level: rec.Level, Message: rec.Message, Attrs: attrs})
	r.store.mu.Unlock()
	return nil
}

func (r *Recorder) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &Recorder{store: r.store, attrs: append(append([]slog.Attr(nil), r.attrs...), attrs...)}
}

func (r *Recorder) WithGroup(string) slog.Handler { return r }
