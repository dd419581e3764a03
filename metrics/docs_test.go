package metrics

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

var metricNameRE = regexp.MustCompile(`gostream_[a-z_]+`)

// TestDocumented: every gostream_ metric is in PRODUCTION.md's tables, and
// the Grafana dashboard uses only metrics that exist.
func TestDocumented(t *testing.T) {
	reg := &namesOf{Registerer: prometheus.NewRegistry()}
	if _, err := NewDriver(reg, time.Second, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := NewExecutor(reg); err != nil {
		t.Fatal(err)
	}
	if len(reg.names) < 20 {
		t.Fatalf("only %d metrics recorded: %v", len(reg.names), reg.names)
	}
	prod, err := os.ReadFile("../docs/PRODUCTION.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range reg.names {
		if !strings.Contains(string(prod), "| `"+n+"` |") {
			t.Errorf("%s is not in docs/PRODUCTION.md's metrics tables", n)
		}
	}
	dash, err := os.ReadFile("../docs/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, used := range metricNameRE.FindAllString(string(dash), -1) {
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(used, "_bucket"), "_sum"), "_count")
		if !slices.Contains(reg.names, base) {
			t.Errorf("the dashboard uses %s, which no process serves", used)
		}
	}
}

// namesOf records the names of the metrics registered through it.
type namesOf struct {
	prometheus.Registerer
	names []string
}

var fqNameRE = regexp.MustCompile(`fqName: "([^"]+)"`)

func (r *namesOf) Register(c prometheus.Collector) error {
	descs := make(chan *prometheus.Desc, 8)
	go func() { c.Describe(descs); close(descs) }()
	for d := range descs {
		if m := fqNameRE.FindStringSubmatch(d.String()); m != nil {
			r.names = append(r.names, m[1])
		}
	}
	return r.Registerer.Register(c)
}
