package engine

import (
	"testing"
	"time"
)

func TestNextRestartDelayBacksOff(t *testing.T) {
	base := 2 * time.Second
	var d time.Duration
	var got []time.Duration
	for range 8 {
		d = nextRestartDelay(d, base, time.Second)
		got = append(got, d)
	}
	want := []time.Duration{2, 4, 8, 16, 32, 60, 60, 60}
	for i := range want {
		if w := want[i] * time.Second; got[i] != w {
			t.Fatalf("restart %d: delay %s, want %s (all: %v)", i+1, got[i], w, got)
		}
	}
	if d := nextRestartDelay(time.Minute, base, 2*time.Minute); d != base {
		t.Errorf("after a long healthy run the delay should start over at %s, got %s", base, d)
	}
}
