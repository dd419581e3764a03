package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/engine"
)

const batch = time.Second

type bench struct {
	master string
	trial  time.Duration
	out    *json.Encoder

	profile        string         // directory for each trial's profiles; "": none
	downtime       time.Duration  // recovery benchmark
	sustainedRates map[string]int // by pipeline, for ratios
}

// trialResult is what one run of a pipeline at one input rate showed.
type trialResult struct {
	Rate       int     // records/s asked of the generator
	Received   float64 // records/s that entered batches, after warm-up
	P99DelayMs float64
	MaxRSSMB   float64
	// RSSFirstHalf and RSSSecondHalf are the peaks of each half of the trial:
	// under overload, memory must plateau rather than keep growing.
	RSSFirstHalf, RSSSecondHalf float64
	// IdleBatches is how many batches after warm-up ran no job at all: their
	// records waited for a later batch (a window's slide), which then did
	// the work of several.
	IdleBatches int
}

// sustains reports whether the pipeline kept up with the rate: the input
// arrived in full and batches finished within the batch interval.
func (r trialResult) sustains() bool {
	return r.Received >= 0.95*float64(r.Rate) && r.P99DelayMs < float64(batch.Milliseconds())
}

// run runs p for d on the generator at rate records/s (0: unpaced) in a
// child process, so that each trial's memory is its own.
func (b *bench) run(p pipeline, rate int, d time.Duration) (trialResult, error) {
	return b.runWithMaxRate(p, rate, d, 0)
}

// runWithMaxRate is run with gostream.streaming.receiver.maxRate set.
func (b *bench) runWithMaxRate(p pipeline, rate int, d time.Duration, maxRate int) (trialResult, error) {
	self, err := os.Executable()
	if err != nil {
		return trialResult{}, err
	}
	args := []string{"-master", b.master, "-one-trial", fmt.Sprintf("%s:%d:%s:%d", p.name, rate, d, maxRate)}
	if b.profile != "" {
		args = append(args, "-profile", filepath.Join(b.profile, fmt.Sprintf("%s-%d", p.name, rate)))
	}
	cmd := exec.Command(self, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return trialResult{}, fmt.Errorf("trial %s at %d records/s: %w", p.name, rate, err)
	}
	var r trialResult
	if err := json.Unmarshal(out, &r); err != nil {
		return trialResult{}, fmt.Errorf("trial %s at %d records/s printed %q: %w", p.name, rate, out, err)
	}
	return r, nil
}

// runOneTrial is the child side of run: spec is pipeline:rate:duration:maxRate.
// With profileDir, the trial's profiles are written there.
func runOneTrial(master, spec, profileDir string) (err error) {
	parts := strings.Split(spec, ":")
	if len(parts) != 4 {
		return fmt.Errorf("trial %q: want pipeline:rate:duration:maxRate", spec)
	}
	p, ok := pipelines[parts[0]]
	rate, err1 := strconv.Atoi(parts[1])
	d, err2 := time.ParseDuration(parts[2])
	if !ok || err1 != nil || err2 != nil {
		return fmt.Errorf("trial %q: want pipeline:rate:duration:maxRate", spec)
	}
	c := conf.Defaults()
	if err := c.Set(conf.Master, master); err != nil {
		return err
	}
	if err := c.Set(conf.ReceiverMaxRate, parts[3]); err != nil {
		return err
	}
	if err := c.Set(conf.ReceiverWALEnable, strconv.FormatBool(p.wal)); err != nil {
		return err
	}
	ssc, err := engine.NewContext(c, batch, engine.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "gostream-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ssc.Checkpoint(dir)
	p.build(engine.GeneratedTextStream(ssc, engine.GeneratorOptions{RecordsPerSec: rate, Seed: 1, Vocabulary: p.words}))
	stats := &batchStats{}
	ssc.AddListener(stats)
	rss := sampleRSS(200*time.Millisecond, d)
	if profileDir != "" {
		stop, err := startProfiles(profileDir)
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, stop()) }()
	}
	if err := ssc.Start(); err != nil {
		return err
	}
	time.Sleep(d)
	ssc.Stop(false)
	r := stats.result(rate)
	r.MaxRSSMB, r.RSSFirstHalf, r.RSSSecondHalf = rss()
	return json.NewEncoder(os.Stdout).Encode(r)
}

// batchStats keeps the completed batches of a trial.
type batchStats struct {
	engine.NopListener
	mu      sync.Mutex
	batches []engine.BatchInfo
}

func (s *batchStats) OnBatchCompleted(b engine.BatchInfo) {
	s.mu.Lock()
	s.batches = append(s.batches, b)
	s.mu.Unlock()
}

const warmup = 3 // batches ignored at the start of a trial

func (s *batchStats) result(rate int) trialResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := trialResult{Rate: rate, P99DelayMs: 1e9}
	if len(s.batches) <= warmup+1 {
		return r
	}
	steady := s.batches[warmup:]
	var records int64
	delays := make([]float64, len(steady))
	for i, b := range steady {
		records += b.NumRecords()
		if b.ProcessingDelay() == 0 {
			r.IdleBatches++
		}
		delays[i] = float64(b.TotalDelay().Microseconds()) / 1000
	}
	slices.Sort(delays)
	r.Received = float64(records) / (float64(len(steady)) * batch.Seconds())
	r.P99DelayMs = delays[min(len(delays)-1, len(delays)*99/100)]
	return r
}

// sustained finds the highest rate p sustains: doubling, then bisection.
func (b *bench) sustained(p pipeline) error {
	d := max(b.trial, p.needsRun)
	lo, hi := 0, 250_000
	var best trialResult
	for hi < 64_000_000 {
		r, err := b.run(p, hi, d)
		if err != nil {
			return err
		}
		b.progress(p.name, r)
		if !r.sustains() {
			break
		}
		best, lo, hi = r, hi, hi*2
	}
	for range 4 {
		mid := (lo + hi) / 2
		r, err := b.run(p, mid, d)
		if err != nil {
			return err
		}
		b.progress(p.name, r)
		if r.sustains() {
			best, lo = r, mid
		} else {
			hi = mid
		}
	}
	if b.sustainedRates == nil {
		b.sustainedRates = map[string]int{}
	}
	b.sustainedRates[p.name] = best.Rate
	fig := map[string]any{
		"bench": p.name, "master": b.master, "batch_ms": batch.Milliseconds(),
		"records_per_sec":         best.Rate,
		"limit_records_per_sec":   int(b.limitRate()),
		"ratio_to_two_core_limit": round2(float64(best.Rate) / (2 * b.limitRate())),
		"p99_total_delay_ms":      round2(best.P99DelayMs),
		"rss_mb":                  round2(best.MaxRSSMB),
	}
	if plain := b.sustainedRates["wordcount"]; p.name != "wordcount" && plain > 0 {
		fig["ratio_to_wordcount"] = round2(float64(best.Rate) / float64(plain))
	}
	return b.out.Encode(fig)
}

func (b *bench) progress(name string, r trialResult) {
	fmt.Fprintf(os.Stderr, "%s: rate %d → received %.0f/s, p99 total delay %.0f ms, rss %.0f MB, sustained=%t\n",
		name, r.Rate, r.Received, r.P99DelayMs, r.MaxRSSMB, r.sustains())
}

var limitOnce sync.Once
var limitValue float64

// limitRate is the single-goroutine word-count loop's records/s.
func (b *bench) limitRate() float64 {
	limitOnce.Do(func() {
		lines := engine.GenerateLines(engine.GeneratorOptions{Seed: 1}, 8192)
		limitValue = limitLoop(lines, 3*time.Second)
	})
	return limitValue
}

func (b *bench) limit() error {
	return b.out.Encode(map[string]any{"bench": "limit_loop", "records_per_sec": int(b.limitRate()), "goroutines": 1})
}

// overload feeds word count with an unpaced generator held to a maxRate
// twice what word count sustains: input outpaces processing, and memory
// must plateau (receiver blocked by the bounded block queue) rather than grow.
func (b *bench) overload() error {
	const maxRate = 3_000_000
	r, err := b.runWithMaxRate(pipelines["wordcount"], 0, 2*b.trial, maxRate)
	if err != nil {
		return err
	}
	return b.out.Encode(map[string]any{
		"bench": "overload_wordcount", "master": b.master, "generator": "unpaced", "max_rate": maxRate,
		"records_per_sec": int(r.Received), "rss_mb_first_half": round2(r.RSSFirstHalf), "rss_mb_second_half": round2(r.RSSSecondHalf),
	})
}

func round2(f float64) float64 { return float64(int(f*100+0.5)) / 100 }

// sampleRSS samples the resident set size for d; the returned function
// stops sampling and returns the peaks of the whole run and of each half.
func sampleRSS(every, d time.Duration) func() (peak, first, second float64) {
	stop := make(chan struct{})
	type peaks struct{ all, first, second float64 }
	result := make(chan peaks)
	go func() {
		var p peaks
		start := time.Now()
		for {
			mb := currentRSSMB()
			p.all = max(p.all, mb)
			if time.Since(start) < d/2 {
				p.first = max(p.first, mb)
			} else {
				p.second = max(p.second, mb)
			}
			select {
			case <-stop:
				result <- p
				return
			case <-time.After(every):
			}
		}
	}()
	return func() (float64, float64, float64) {
		close(stop)
		p := <-result
		return p.all, p.first, p.second
	}
}

// currentRSSMB reads VmRSS from /proc (0 where there is no /proc).
func currentRSSMB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
