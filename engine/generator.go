package engine

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// GeneratorOptions shape the records of a GeneratedTextStream.
type GeneratorOptions struct {
	// RecordsPerSec paces the generator; 0 generates as fast as the stream
	// accepts records.
	RecordsPerSec int
	// RecordBytes is the approximate length of a record (default 100).
	RecordBytes int
	// Vocabulary is the number of distinct words (default 1000).
	Vocabulary int
	// Seed makes the sequence of records reproducible.
	Seed uint64
}

// GeneratedTextStream creates an input stream of synthetic text lines made
// of words drawn from a fixed vocabulary: a live source for demos, tests and
// benchmarks that needs no server.
func GeneratedTextStream(ssc *Context, opts GeneratorOptions) *DStream[string] {
	return ReceiverStream(ssc, "generator", NewTextGenerator(opts))
}

// NewTextGenerator returns the receiver behind GeneratedTextStream.
func NewTextGenerator(opts GeneratorOptions) Receiver[string] {
	if opts.RecordBytes <= 0 {
		opts.RecordBytes = 100
	}
	if opts.Vocabulary <= 0 {
		opts.Vocabulary = 1000
	}
	return &textGenerator{opts: opts, lines: GenerateLines(opts, 8192)}
}

// GenerateLines returns n lines as GeneratedTextStream produces them; the
// stream cycles through such a set, so records cost no allocation.
func GenerateLines(opts GeneratorOptions, n int) []string {
	if opts.RecordBytes <= 0 {
		opts.RecordBytes = 100
	}
	if opts.Vocabulary <= 0 {
		opts.Vocabulary = 1000
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x9e3779b97f4a7c15))
	words := make([]string, opts.Vocabulary)
	for i := range words {
		words[i] = fmt.Sprintf("w%d", i)
	}
	lines := make([]string, n)
	var b strings.Builder
	for i := range lines {
		b.Reset()
		for b.Len() < opts.RecordBytes-8 {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			// a skewed choice, as in real text: low ids are frequent
			b.WriteString(words[int(float64(len(words))*rng.Float64()*rng.Float64())])
		}
		lines[i] = b.String()
	}
	return lines
}

type textGenerator struct {
	opts  GeneratorOptions
	lines []string
	next  int
}

func (g *textGenerator) Receive(ctx context.Context, out Sink[string]) error {
	chunk := 1000 // records between clock checks
	if r := g.opts.RecordsPerSec; r > 0 && r < 100_000 {
		chunk = max(1, r/100)
	}
	start := time.Now()
	sent := 0
	for ctx.Err() == nil {
		for range chunk {
			out.Store(g.lines[g.next])
			if g.next++; g.next == len(g.lines) {
				g.next = 0
			}
		}
		sent += chunk
		if g.opts.RecordsPerSec > 0 {
			due := start.Add(time.Duration(float64(sent) / float64(g.opts.RecordsPerSec) * float64(time.Second)))
			if d := time.Until(due); d > 0 {
				select {
				case <-time.After(d):
				case <-ctx.Done():
				}
			}
		}
	}
	return nil
}
