package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gostream/gostream/client"
	"github.com/gostream/gostream/internal/yarn"
	"github.com/gostream/gostream/internal/yarnctl"
	"github.com/gostream/gostream/ui"
)

// progress keeps one status line at the bottom of a terminal while
// gostream-submit follows an application, and writes log lines above it.
// When w is not a terminal it only writes the log lines.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	tty   bool
	width int    // the terminal's, 0 when unknown
	line  string // shown; "" when none
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w, tty: isTerminal(w)}
	if p.tty {
		p.width = terminalWidth(w.(*os.File))
	}
	return p
}

// isTerminal tells whether w is a character device, and not a dumb one.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("TERM") == "dumb" {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// clearLine is a carriage return and ANSI "erase to the end of the line".
const clearLine = "\r\x1b[K"

// logf writes a log line above the status line.
func (p *progress) logf(format string, a ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.line != "" {
		fmt.Fprint(p.w, clearLine)
	}
	fmt.Fprintf(p.w, "gostream-submit: "+format+"\n", a...)
	if p.line != "" {
		fmt.Fprint(p.w, p.line)
	}
}

// set replaces the status line (on a terminal; a no-op otherwise), cut to
// the terminal's width: a line that wrapped could not be replaced.
func (p *progress) set(line string) {
	if !p.tty {
		return
	}
	if r := []rune(line); p.width > 1 && len(r) >= p.width {
		line = string(r[:p.width-1])
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprint(p.w, clearLine+line)
	p.line = line
}

// clear removes the status line.
func (p *progress) clear() { p.set("") }

// statusLine is the one line that says how a running application does:
// state, attempt, executors and its last batch, from the RM's report and,
// when it could be read, the driver's status page.
func statusLine(r *client.ApplicationReport, st *ui.Status) string {
	line := fmt.Sprintf("%s: %s", r.ID, r.State)
	if r.CurrentAttempt.Attempt > 0 {
		line += fmt.Sprintf(", attempt %d", r.CurrentAttempt.Attempt)
	}
	if st == nil {
		return line
	}
	line += ", " + count(len(st.Registered), "executor") + ", " + count(int(st.CompletedBatches), "batch")
	if n := len(st.Batches); n > 0 {
		b := st.Batches[n-1]
		line += fmt.Sprintf("; last %s: %d records, processing %s, total delay %s", b.Time.Local().Format(time.TimeOnly), b.Records,
			b.Processing.Round(time.Millisecond), b.TotalDelay.Round(time.Millisecond))
		if b.Error != "" {
			line += " (failed)"
		}
	}
	return line
}

// showStatus updates p's status line every interval from the latest report
// (latest) and the driver's status page until ctx ends.
func showStatus(ctx context.Context, p *progress, interval time.Duration, latest func() *client.ApplicationReport) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		r := latest()
		if r == nil {
			continue
		}
		var st *ui.Status
		if r.State == yarn.StateRunning {
			st, _ = yarnctl.DriverStatus(ctx, r.TrackingURL) // the line says what it knows
		}
		if ctx.Err() == nil {
			p.set(statusLine(r, st))
		}
	}
}

// count is "1 batch", "2 batches", "0 executors".
func count(n int, noun string) string {
	switch {
	case n == 1:
		return "1 " + noun
	case strings.HasSuffix(noun, "ch"):
		return fmt.Sprintf("%d %ses", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
