//go:build integration

package main

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestIntegrationStatefulTrials runs the windowed and state benchmarks as
// the bench runs them, in a child process each, at a rate every machine
// keeps up with: every batch after warm-up must do its own work. A window
// sliding every 10 batches used to leave nine batches idle and do their work
// in the tenth, so that its rate was a tenth of the word count's.
func TestIntegrationStatefulTrials(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "gostream-bench")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build gostream-bench: %v\n%s", err, out)
	}
	const rate = 20_000
	for _, name := range []string{"windowed", "updatestate", "mapwithstate"} {
		t.Run(name, func(t *testing.T) {
			// 14 s: warm-up, then ten batches, one of them at the window's slide
			cmd := exec.Command(bin, "-one-trial", fmt.Sprintf("%s:%d:14s:0", name, rate))
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("trial: %v\n%s", err, stderrOf(err))
			}
			var r trialResult
			if err := json.Unmarshal(out, &r); err != nil {
				t.Fatalf("trial printed %q: %v", out, err)
			}
			if r.Received < 0.95*rate {
				t.Errorf("received %.0f records/s of %d: batches did not complete", r.Received, rate)
			}
			if r.IdleBatches != 0 {
				t.Errorf("%d batches after warm-up ran no job: their work was left to a later batch", r.IdleBatches)
			}
		})
	}
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}
