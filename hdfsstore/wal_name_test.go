package hdfsstore

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSegmentNameRoundTrip(t *testing.T) {
	n, err := newSegmentName("recv-1.a_b", walTime(0), walTime(200), 7)
	if err != nil {
		t.Fatal(err)
	}
	want := "recv-1.a_b-0000001732200000000-0000001732200000200-0000000007.wal"
	if n.String() != want {
		t.Fatalf("String() = %s, want %s", n, want)
	}
	p, err := ParseSegmentName(want)
	if err != nil {
		t.Fatal(err)
	}
	if p != n {
		t.Fatalf("ParseSegmentName = %+v, want %+v", p, n)
	}
}

// TestSegmentNameRounding: the name's range covers the requested one, so the
// cleaner can never drop a segment whose data ends after its threshold.
func TestSegmentNameRounding(t *testing.T) {
	start := walTime(5).Add(300 * time.Microsecond)
	end := walTime(9).Add(1)
	n, err := newSegmentName("s", start, end, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !n.Start.Equal(walTime(5)) || !n.End.Equal(walTime(10)) {
		t.Fatalf("rounded range [%v, %v], want [%v, %v]", n.Start, n.End, walTime(5), walTime(10))
	}
}

// TestSegmentNamesSortByTime: the lexical order of file names is the order
// of (start, end, seq), across digit-count changes.
func TestSegmentNamesSortByTime(t *testing.T) {
	var names []SegmentName
	for _, startMs := range []int64{0, 9, 10, 999, 1000, 1_732_200_000_000, 99_999_999_999_999} {
		for _, dur := range []int64{0, 1, 10, 200} {
			for _, seq := range []uint32{0, 9, 10, 1 << 31} {
				n, err := newSegmentName("s-1", time.UnixMilli(startMs), time.UnixMilli(startMs+dur), seq)
				if err != nil {
					t.Fatal(err)
				}
				names = append(names, n)
			}
		}
	}
	byTime := slices.Clone(names)
	slices.SortFunc(byTime, func(a, b SegmentName) int {
		if a.less(b) {
			return -1
		}
		if b.less(a) {
			return 1
		}
		return 0
	})
	byName := slices.Clone(names)
	slices.SortFunc(byName, func(a, b SegmentName) int { return strings.Compare(a.String(), b.String()) })
	for i := range byTime {
		if byTime[i] != byName[i] {
			t.Fatalf("position %d: time order has %s, name order has %s", i, byTime[i], byName[i])
		}
	}
}

func TestParseSegmentNameRejects(t *testing.T) {
	bad := []string{
		"",
		".wal",
		"s-0000000000000000001-0000000000000000002-0000000001",        // no suffix
		"s-0000000000000000001-0000000000000000002-0000000001.wal.bk", // other suffix
		"s-1-2-3.wal", // not padded
		"s-0000000000000000001-0000000000000000002-00000000001.wal",  // seq too wide
		"-0000000000000000001-0000000000000000002-0000000001.wal",    // empty stream
		".s-0000000000000000001-0000000000000000002-0000000001.wal",  // hidden
		"s t-0000000000000000001-0000000000000000002-0000000001.wal", // space
		"s-0000000000000000002-0000000000000000001-0000000001.wal",   // end before start
		"s-9999999999999999999-9999999999999999999-0000000001.wal",   // beyond int64
		"s-0000000000000000001-0000000000000000002-9999999999.wal",   // beyond uint32
		"s-000000000000000000+-0000000000000000002-0000000001.wal",   // sign
		"0000000000000000001-0000000000000000002-0000000001.wal",     // too few fields
		"checkpoint-1732200000000",
	}
	for _, name := range bad {
		if n, err := ParseSegmentName(name); err == nil {
			t.Errorf("ParseSegmentName(%q) = %+v, want an error", name, n)
		}
	}
}
