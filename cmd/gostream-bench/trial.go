package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
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
}

// trialResult is what one run of a pipeline at one input rate showed.
type trialResult struct {
	rate       int     // records/s asked of the generator
	received   float64 // records/s that entered batches, after warm-up
	p99DelayMs float64
	maxRSSMB   float64
}

// sustains reports whether the pipeline kept up with the rate: the input
// arrived in full and batches finished within the batch interval.
func (r trialResult) sustains() bool {
	return r.received >= 0.95*float64(r.rate) && r.p99DelayMs < float64(batch.Milliseconds())
}

// run runs p for d on the generator at rate records/s (0: unpaced).
func (b *bench) run(p pipeline, rate int, d time.Duration, extra map[string]string) (trialResult, error) {
	c := conf.Defaults()
	if err := c.Set(conf.Master, b.master); err != nil {
		return trialResult{}, err
	}
	for k, v := range extra {
		if err := c.Set(k, v); err != nil {
			return trialResult{}, err
		}
	}
	ssc, err := engine.NewContext(c, batch, engine.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		return trialResult{}, err
	}
	dir, err := os.MkdirTemp("", "gostream-bench-")
	if err != nil {
		return trialResult{}, err
	}
	defer os.RemoveAll(dir)
	ssc.Checkpoint(dir)
	p.build(engine.GeneratedTextStream(ssc, engine.GeneratorOptions{RecordsPerSec: rate, Seed: 1}))
	stats := &batchStats{}
	ssc.AddListener(stats)
	rss := sampleRSS(200 * time.Millisecond)
	if err := ssc.Start(); err != nil {
		return trialResult{}, err
	}
	time.Sleep(d)
	ssc.Stop(false)
	peak := rss()
	return stats.result(rate, peak), nil
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

func (s *batchStats) result(rate int, rssMB float64) trialResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := trialResult{rate: rate, maxRSSMB: rssMB, p99DelayMs: 1e9}
	if len(s.batches) <= warmup+1 {
		return r
	}
	steady := s.batches[warmup:]
	var records int64
	delays := make([]float64, len(steady))
	for i, b := range steady {
		records += b.NumRecords()
		delays[i] = float64(b.TotalDelay().Microseconds()) / 1000
	}
	slices.Sort(delays)
	r.received = float64(records) / (float64(len(steady)) * batch.Seconds())
	r.p99DelayMs = delays[min(len(delays)-1, len(delays)*99/100)]
	return r
}

// sustained finds the highest rate p sustains: doubling, then bisection.
func (b *bench) sustained(p pipeline) error {
	d := max(b.trial, p.needsRun)
	lo, hi := 0, 250_000
	var best trialResult
	for hi < 64_000_000 {
		r, err := b.run(p, hi, d, nil)
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
		r, err := b.run(p, mid, d, nil)
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
	return b.out.Encode(map[string]any{
		"bench": p.name, "master": b.master, "batch_ms": batch.Milliseconds(),
		"records_per_sec":         best.rate,
		"limit_records_per_sec":   int(b.limitRate()),
		"ratio_to_two_core_limit": round2(float64(best.rate) / (2 * b.limitRate())),
		"p99_total_delay_ms":      round2(best.p99DelayMs),
		"rss_mb":                  round2(best.maxRSSMB),
	})
}

func (b *bench) progress(name string, r trialResult) {
	fmt.Fprintf(os.Stderr, "%s: rate %d → received %.0f/s, p99 total delay %.0f ms, rss %.0f MB, sustained=%t\n",
		name, r.rate, r.received, r.p99DelayMs, r.maxRSSMB, r.sustains())
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

// overload feeds word count with an unpaced generator: input outpaces
// processing, and memory must plateau rather than grow.
func (b *bench) overload() error {
	d := 2 * b.trial
	p := pipelines["wordcount"]
	rssEarly, rssLate := 0.0, 0.0
	done := make(chan trialResult, 1)
	stopSampling := make(chan struct{})
	go func() {
		start := time.Now()
		for {
			select {
			case <-stopSampling:
				return
			case <-time.After(250 * time.Millisecond):
			}
			mb := currentRSSMB()
			if time.Since(start) < d/2 {
				rssEarly = max(rssEarly, mb)
			} else {
				rssLate = max(rssLate, mb)
			}
		}
	}()
	r, err := b.run(p, 0, d, nil)
	close(stopSampling)
	if err != nil {
		return err
	}
	done <- r
	return b.out.Encode(map[string]any{
		"bench": "overload_wordcount", "master": b.master, "generator": "unpaced",
		"records_per_sec": int(r.received), "rss_mb_first_half": round2(rssEarly), "rss_mb_second_half": round2(rssLate),
	})
}

func round2(f float64) float64 { return float64(int(f*100+0.5)) / 100 }

// sampleRSS samples the resident set size until the returned function is
// called, which returns the peak in MB.
func sampleRSS(every time.Duration) func() float64 {
	stop := make(chan struct{})
	peak := make(chan float64)
	go func() {
		m := currentRSSMB()
		for {
			select {
			case <-stop:
				peak <- max(m, currentRSSMB())
				return
			case <-time.After(every):
				m = max(m, currentRSSMB())
			}
		}
	}()
	return func() float64 { close(stop); return <-peak }
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
