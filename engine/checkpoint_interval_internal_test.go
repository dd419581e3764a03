package engine

import (
	"testing"
	"time"
)

func TestDefaultCheckpointInterval(t *testing.T) {
	for _, c := range []struct{ slide, want time.Duration }{
		{200 * time.Millisecond, 10 * time.Second}, // at least 10 s
		{time.Second, 10 * time.Second},
		{1500 * time.Millisecond, 15 * time.Second}, // ten slides
		{3 * time.Second, 30 * time.Second},
		{7 * time.Millisecond, 10003 * time.Millisecond}, // rounded up to whole slides
	} {
		if got := defaultCheckpointInterval(c.slide); got != c.want {
			t.Errorf("default checkpoint interval for slide %s = %s, want %s", c.slide, got, c.want)
		}
	}
}
