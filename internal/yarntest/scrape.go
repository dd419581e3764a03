package yarntest

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Scrape is one read of a Prometheus /metrics endpoint: each sample's value
// by its name and labels as the text format writes them, e.g.
// `gostream_input_records_total{stream="0"}`.
type Scrape map[string]float64

// ScrapeMetrics reads url (a /metrics endpoint) within 10 seconds.
func ScrapeMetrics(ctx context.Context, url string) (Scrape, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	s := Scrape{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if i < 0 || err != nil {
			return nil, fmt.Errorf("GET %s: not Prometheus' text format: %q", url, line)
		}
		s[line[:i]] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	return s, nil
}

// Batches is the number of completed batches a driver's scrape counts, and
// whether its three delay histograms count that many too (a scrape reads
// one metric after the other while batches complete, so they may differ).
func (s Scrape) Batches() (n float64, consistent bool) {
	n = s["gostream_batches_completed_total"]
	for _, h := range []string{"gostream_batch_scheduling_delay_seconds_count", "gostream_batch_processing_seconds_count", "gostream_batch_total_delay_seconds_count"} {
		if s[h] != n {
			return n, false
		}
	}
	return n, true
}
