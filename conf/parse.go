package conf

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// parseValue checks s against k and returns its normal text form (which
// parses back to the same value) and the typed value: string, int, bool,
// time.Duration, int64 (bytes) or []string. The error says what is wrong and
// what is expected, without naming the key.
func parseValue(k *key, s string) (string, any, error) {
	switch k.kind {
	case kindString:
		if k.nonEmpty && strings.TrimSpace(s) == "" {
			return "", nil, errors.New("must not be empty")
		}
		return s, s, nil
	case kindInt:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, strconv.IntSize)
		if err != nil {
			if errors.Is(err, strconv.ErrRange) {
				return "", nil, errors.New("expected an integer; this one is too large")
			}
			return "", nil, errors.New("expected an integer, such as 10")
		}
		if err := checkRange(k, n, strconv.FormatInt); err != nil {
			return "", nil, err
		}
		return strconv.FormatInt(n, 10), int(n), nil
	case kindBool:
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true":
			return "true", true, nil
		case "false":
			return "false", false, nil
		}
		return "", nil, errors.New("expected true or false")
	case kindDuration:
		d, err := parseDuration(s, time.Duration(k.unit))
		if err != nil {
			return "", nil, err
		}
		if err := checkRange(k, int64(d), func(n int64, _ int) string { return formatDuration(time.Duration(n)) }); err != nil {
			return "", nil, err
		}
		return formatDuration(d), d, nil
	case kindSize:
		n, err := parseSize(s, k.unit)
		if err != nil {
			return "", nil, err
		}
		if err := checkRange(k, n, func(n int64, _ int) string { return formatSize(n) }); err != nil {
			return "", nil, err
		}
		return formatSize(n), n, nil
	case kindEnum:
		t := strings.ToLower(strings.TrimSpace(s))
		for _, e := range k.enum {
			if t == e {
				return e, e, nil
			}
		}
		return "", nil, fmt.Errorf("expected one of %s", strings.Join(k.enum, ", "))
	case kindList:
		var list []string
		for _, e := range strings.Split(s, ",") {
			if e = strings.TrimSpace(e); e != "" {
				list = append(list, e)
			}
		}
		return strings.Join(list, ","), list, nil
	case kindMaster:
		m, err := ParseMaster(s)
		if err != nil {
			return "", nil, err
		}
		return m.text, m.text, nil
	}
	panic("conf: unknown kind")
}

// checkRange applies k's bounds to n; format writes a bound for the message.
func checkRange(k *key, n int64, format func(int64, int) string) error {
	lo, hasLo := k.min, !k.noMin
	hi, hasHi := k.max, k.max != 0
	switch {
	case hasLo && hasHi && (n < lo || n > hi):
		return fmt.Errorf("must be between %s and %s", format(lo, 10), format(hi, 10))
	case hasLo && n < lo:
		if lo == 0 {
			return errors.New("must not be negative")
		}
		return fmt.Errorf("must be at least %s", format(lo, 10))
	case hasHi && n > hi:
		return fmt.Errorf("must be at most %s", format(hi, 10))
	}
	return nil
}

// Duration units: Spark's suffixes (us, ms, s, m, min, h, d) and Go's (ns, µs).
var durationUnits = map[string]time.Duration{
	"ns": time.Nanosecond,
	"us": time.Microsecond, "µs": time.Microsecond,
	"ms": time.Millisecond,
	"s":  time.Second,
	"m":  time.Minute, "min": time.Minute,
	"h": time.Hour,
	"d": 24 * time.Hour,
}

var unitNames = map[time.Duration]string{
	time.Millisecond: "milliseconds",
	time.Second:      "seconds",
}

// parseDuration accepts an integer with one of durationUnits (as Spark does),
// a bare integer in unit (when unit is not 0; a bare 0 is always accepted),
// and Go's forms such as 1h30m or 1.5s. Units are case-insensitive.
func parseDuration(s string, unit time.Duration) (time.Duration, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	i := 0
	if strings.HasPrefix(t, "-") {
		i = 1
	}
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	num, suffix := t[:i], t[i:]
	if num != "" && num != "-" {
		n, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			return 0, errors.New("expected a duration; this one is too large")
		}
		var u time.Duration
		switch {
		case suffix != "":
			u = durationUnits[suffix]
		case n == 0:
			return 0, nil
		case unit == 0:
			return 0, fmt.Errorf("a bare number needs a unit here: %s", durationForms(unit))
		default:
			u = unit
		}
		if u != 0 {
			if n > int64(math.MaxInt64/u) || n < int64(math.MinInt64/u) {
				return 0, errors.New("expected a duration; this one is too large")
			}
			return time.Duration(n) * u, nil
		}
	}
	// Go's forms: fractions and compound durations.
	if d, err := time.ParseDuration(t); err == nil && t != "" {
		return d, nil
	}
	return 0, fmt.Errorf("expected %s", durationForms(unit))
}

func durationForms(unit time.Duration) string {
	forms := "a duration such as 200ms, 10s, 2min, 1h or 1h30m"
	if unit != 0 {
		name := unitNames[unit]
		if name == "" {
			name = "units of " + formatDuration(unit)
		}
		forms += ", or a bare number of " + name
	}
	return forms
}

// formatDuration writes d in the largest unit that holds it exactly, in a
// form parseDuration reads back.
func formatDuration(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	for _, u := range []struct {
		d    time.Duration
		name string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "min"}, {time.Second, "s"},
		{time.Millisecond, "ms"}, {time.Microsecond, "us"}} {
		if d%u.d == 0 {
			return strconv.FormatInt(int64(d/u.d), 10) + u.name
		}
	}
	return strconv.FormatInt(int64(d), 10) + "ns"
}

// Size units: binary multiples, as in Spark (k = KiB, m = MiB, …).
var sizeUnits = map[string]int64{
	"b": 1,
	"k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10,
	"m": 1 << 20, "mb": 1 << 20, "mib": 1 << 20,
	"g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30,
	"t": 1 << 40, "tb": 1 << 40, "tib": 1 << 40,
	"p": 1 << 50, "pb": 1 << 50, "pib": 1 << 50,
}

// parseSize accepts a whole number with an optional unit (b, k, m, g, t, p,
// case-insensitive, binary multiples); a bare number is in unit bytes.
func parseSize(s string, unit int64) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	num, suffix := t[:i], t[i:]
	u := unit
	if suffix != "" {
		u = sizeUnits[suffix]
	}
	if num == "" || u == 0 {
		forms := "a size such as 512m, 2g or 1024k (units b, k, m, g, t, p)"
		if strings.ContainsAny(t, ".") {
			forms = "a whole number: fractions are not accepted (write 1536m, not 1.5g)"
		}
		return 0, fmt.Errorf("expected %s; a bare number is in %s", forms, sizeUnitName(unit))
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n > math.MaxInt64/u {
		return 0, errors.New("expected a size; this one is too large")
	}
	return n * u, nil
}

func sizeUnitName(unit int64) string {
	switch unit {
	case 1:
		return "bytes"
	case 1 << 10:
		return "KiB"
	case 1 << 20:
		return "MiB"
	case 1 << 30:
		return "GiB"
	}
	return "units of " + formatSize(unit)
}

// formatSize writes n bytes in the largest unit that holds it exactly.
func formatSize(n int64) string {
	if n == 0 {
		return "0"
	}
	for _, u := range []struct {
		n    int64
		name string
	}{{1 << 50, "p"}, {1 << 40, "t"}, {1 << 30, "g"}, {1 << 20, "m"}, {1 << 10, "k"}} {
		if n%u.n == 0 {
			return strconv.FormatInt(n/u.n, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10) + "b"
}

// MasterSpec is a parsed gostream.master value.
type MasterSpec struct {
	// YARN is true for master yarn, false for a local master.
	YARN bool
	// LocalSlots is the number of task slots of a local master: 1 for local,
	// N for local[N], the number of CPUs for local[*]. 0 for yarn.
	LocalSlots int
	text       string
}

// String returns the master in its normal form: yarn, local, local[N] or local[*].
func (m MasterSpec) String() string { return m.text }

// ParseMaster parses a gostream.master value: yarn, local, local[N] or
// local[*] (case-insensitive).
func ParseMaster(s string) (MasterSpec, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	switch {
	case t == "yarn":
		return MasterSpec{YARN: true, text: "yarn"}, nil
	case t == "local":
		return MasterSpec{LocalSlots: 1, text: "local"}, nil
	case t == "local[*]":
		return MasterSpec{LocalSlots: runtime.NumCPU(), text: "local[*]"}, nil
	case strings.HasPrefix(t, "local[") && strings.HasSuffix(t, "]"):
		inner := t[len("local[") : len(t)-1]
		n, err := strconv.Atoi(inner)
		if err == nil && n >= 1 {
			return MasterSpec{LocalSlots: n, text: "local[" + strconv.Itoa(n) + "]"}, nil
		}
		if strings.Contains(inner, ",") {
			return MasterSpec{}, errors.New("expected local[N] or local[*]: the local[N,F] form is not supported; set gostream.task.maxFailures")
		}
	case t == "yarn-cluster" || t == "yarn-client":
		return MasterSpec{}, fmt.Errorf("expected yarn: set gostream.master=yarn and gostream.submit.deployMode=%s", strings.TrimPrefix(t, "yarn-"))
	case strings.Contains(t, "://"):
		return MasterSpec{}, errors.New("gostream runs only on YARN or locally: expected yarn, local, local[N] or local[*]")
	}
	return MasterSpec{}, errors.New("expected yarn, local, local[N] (N ≥ 1) or local[*]")
}
