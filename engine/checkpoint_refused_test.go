package engine_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/hdfsstore"
)

// refuseWrites makes every file created in the checkpoint directory fail
// with a permission error, as a read-only directory does.
func refuseWrites(string) error { return fmt.Errorf("faultFS: create: %w", fs.ErrPermission) }

// TestCheckpointDirectoryThatRefusesWrites: a checkpoint directory the
// application may not write fails its start with an error that says so,
// and one that starts refusing later stops the application with that error,
// instead of running on without checkpoints (issue 11, item 5).
func TestCheckpointDirectoryThatRefusesWrites(t *testing.T) {
	t.Run("at the start", func(t *testing.T) {
		fsys := &faultFS{FS: hdfsstore.NewLocal(), failCreate: refuseWrites}
		// The lease, taken before recovery reads the directory, is the first write.
		r, err := newRig(t, t.TempDir(), rigStart, newStatefulApp(nil).setup, []engine.Option{engine.WithFileSystem(fsys)})
		if err == nil {
			err = r.ssc.Start()
		}
		if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "cannot be written") {
			t.Fatalf("Start: %v, want a checkpoint directory that cannot be written", err)
		}
	})
	t.Run("while running", func(t *testing.T) {
		fsys := &faultFS{FS: hdfsstore.NewLocal()}
		app := newStatefulApp([][]string{{"a"}, {"b"}, {"c"}})
		r, err := newRig(t, t.TempDir(), rigStart, app.setup, []engine.Option{engine.WithFileSystem(fsys)})
		must(t, err)
		must(t, r.ssc.Start())
		r.advance(1)
		fsys.mu.Lock()
		fsys.failCreate = refuseWrites
		fsys.mu.Unlock()
		r.clock.Set(rigBatch(2))
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		defer cancel()
		err = r.ssc.AwaitTermination(ctx)
		if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "cannot be written") {
			t.Fatalf("the application ended with %v, want it stopped by a checkpoint directory that cannot be written", err)
		}
	})
}
