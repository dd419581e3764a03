package gostream

import (
	"errors"
	"fmt"
	"syscall"
	"testing"
)

// TestExitCode: a client-mode driver a signal stopped exits as the shell
// reports a process that signal killed; any other failure exits 1.
func TestExitCode(t *testing.T) {
	for _, c := range []struct {
		err  error
		want int
	}{
		{&stoppedBySignal{sig: syscall.SIGTERM}, 143},
		{fmt.Errorf("driver: %w", &stoppedBySignal{sig: syscall.SIGINT}), 130},
		{errors.New("batch failed"), 1},
	} {
		if got := exitCode(c.err); got != c.want {
			t.Errorf("exitCode(%v) = %d, want %d", c.err, got, c.want)
		}
	}
}
