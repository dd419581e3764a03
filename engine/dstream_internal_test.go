package engine

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gostream/gostream/conf"
)

// TestParentWithoutRDDFailsUnionAndTransform: a stream that gives no RDD at
// a batch time on its slide (no public operator does, since a Transform
// returning nil fails) makes a Union or Transform below it fail the batch
// with ErrNoRDD, naming the parent and the batch, as Spark's UnionDStream
// and TransformedDStream do, instead of going on without its data.
func TestParentWithoutRDDFailsUnionAndTransform(t *testing.T) {
	c := conf.Defaults()
	if err := c.Set(conf.Master, "local[2]"); err != nil {
		t.Fatal(err)
	}
	ssc, err := NewContext(c, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ssc.Stop(false) })
	ok := QueueStream(ssc, NewQueue[int](), true)
	lost := newStream(ssc, &node{kind: "lossy", parents: []*node{ok.n}, slide: time.Second},
		func(time.Time) (*RDD[int], error) { return nil, nil })
	union := ok.Union(lost)
	transform := Transform(lost, func(r *RDD[int], _ time.Time) (*RDD[int], error) { return r, nil })
	ssc.graph.zero = time.UnixMilli(1_000_000_000_000)
	bt := ssc.graph.zero.Add(time.Second)
	for name, s := range map[string]*DStream[int]{"union": union, "transform": transform} {
		r, err := s.rddAt(bt)
		if r != nil || !errors.Is(err, ErrNoRDD) {
			t.Fatalf("%s of a parent without an RDD: got %v, %v; want ErrNoRDD", name, r, err)
		}
		for _, want := range []string{name, "lossy (#1)", "1000000001000"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %q does not name %q", name, err, want)
			}
		}
	}
}
