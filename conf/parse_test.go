package conf

import (
	"errors"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// setOne sets key to value on a fresh Conf.
func setOne(t *testing.T, key, value string) (*Conf, error) {
	t.Helper()
	c := Defaults()
	return c, c.Set(key, value)
}

// wantInvalid checks that err is an ErrInvalidValue *Error whose message
// contains every fragment.
func wantInvalid(t *testing.T, err error, key, value string, fragments ...string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v, want an *Error", err)
	}
	if !errors.Is(err, ErrInvalidValue) {
		t.Errorf("error %v is not ErrInvalidValue", err)
	}
	if e.Key != key || e.Value != value {
		t.Errorf("Key, Value = %q, %q; want %q, %q", e.Key, e.Value, key, value)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not contain %q", err, f)
		}
	}
}

func TestDurations(t *testing.T) {
	ok := []struct {
		key, in string
		want    time.Duration
	}{
		{BlockInterval, "200ms", 200 * time.Millisecond},
		{BlockInterval, "200", 200 * time.Millisecond}, // bare: ms, as in Spark
		{BlockInterval, " 50MS ", 50 * time.Millisecond},
		{BlockInterval, "1s", time.Second},
		{BlockInterval, "1.5ms", 1500 * time.Microsecond}, // Go's form
		{BlockInterval, "1000us", time.Millisecond},
		{NetworkTimeout, "120", 120 * time.Second}, // bare: seconds, as in Spark
		{NetworkTimeout, "2min", 2 * time.Minute},
		{NetworkTimeout, "2m", 2 * time.Minute},
		{NetworkTimeout, "1h30m", 90 * time.Minute},
		{NetworkTimeout, "1d", 24 * time.Hour},
		{FileStreamMinRememberDuration, "60", time.Minute},
		{ReceiverRestartDelay, "2000", 2 * time.Second},
		{YarnAMAttemptFailuresValidityInterval, "3600000", time.Hour},
		{YarnAMAttemptFailuresValidityInterval, "1h", time.Hour},
		{YarnAMAttemptFailuresValidityInterval, "0", 0},
		{YarnSchedulerHeartbeatInterval, "5000", 5 * time.Second},
		{ExecutorFailuresValidityInterval, "10min", 10 * time.Minute},
		{GracefulStopTimeout, "0", 0},
		{StopMarkerPollInterval, "10s", 10 * time.Second},
		{"spark.streaming.blockInterval", "300", 300 * time.Millisecond},
		{"spark.yarn.scheduler.heartbeat.interval-ms", "1s", time.Second},
	}
	for _, tc := range ok {
		c, err := setOne(t, tc.key, tc.in)
		if err != nil {
			t.Errorf("Set(%s, %q): %v", tc.key, tc.in, err)
			continue
		}
		_, canon, _ := lookup(tc.key)
		if got := c.Duration(canon); got != tc.want {
			t.Errorf("Set(%s, %q): Duration = %v, want %v", tc.key, tc.in, got, tc.want)
		}
	}

	bad := []struct {
		key, in   string
		fragments []string
	}{
		{BlockInterval, "soon", []string{"expected a duration", "bare number of milliseconds"}},
		{BlockInterval, "", []string{"expected a duration"}},
		{BlockInterval, "10 ms", []string{"expected a duration"}},
		{BlockInterval, "10sec", []string{"expected a duration"}},
		{BlockInterval, "0", []string{"must be at least 1ms"}},
		{BlockInterval, "500us", []string{"must be at least 1ms"}},
		{NetworkTimeout, "x", []string{"bare number of seconds"}},
		{ReceiverRestartDelay, "-1s", []string{"must not be negative"}},
		{ReceiverRestartDelay, "-5", []string{"must not be negative"}},
		{StopMarkerPollInterval, "5", []string{"a bare number needs a unit"}}, // no Spark form
		{NetworkTimeout, "99999999999999999999", []string{"too large"}},
		{NetworkTimeout, "9999999999999d", []string{"too large"}},
	}
	for _, tc := range bad {
		_, err := setOne(t, tc.key, tc.in)
		wantInvalid(t, err, tc.key, tc.in, tc.fragments...)
	}
}

func TestFormatDurationRoundTrip(t *testing.T) {
	for _, d := range []time.Duration{0, time.Nanosecond, 1500 * time.Microsecond, 200 * time.Millisecond,
		90 * time.Second, time.Minute, 36 * time.Hour, 48 * time.Hour} {
		s := formatDuration(d)
		got, err := parseDuration(s, 0)
		if err != nil || got != d {
			t.Errorf("parseDuration(formatDuration(%v) = %q) = %v, %v", d, s, got, err)
		}
	}
}

func TestSizes(t *testing.T) {
	ok := []struct {
		key, in string
		want    int64
	}{
		{ExecutorMemory, "512m", 512 << 20},
		{ExecutorMemory, "512", 512 << 20}, // bare: MiB, as in Spark
		{ExecutorMemory, "2g", 2 << 30},
		{ExecutorMemory, "2G", 2 << 30},
		{ExecutorMemory, "2gb", 2 << 30},
		{ExecutorMemory, "2GiB", 2 << 30},
		{ExecutorMemory, "1024k", 1 << 20},
		{ExecutorMemory, "1t", 1 << 40},
		{ExecutorMemory, "1048576b", 1 << 20},
		{DriverMemory, " 4g ", 4 << 30},
		{YarnAMMemory, "384", 384 << 20},
		{ExecutorMemoryOverhead, "0", 0},
		{"spark.executor.memory", "3g", 3 << 30},
		{"spark.yarn.executor.memoryOverhead", "1024", 1 << 30},
	}
	for _, tc := range ok {
		c, err := setOne(t, tc.key, tc.in)
		if err != nil {
			t.Errorf("Set(%s, %q): %v", tc.key, tc.in, err)
			continue
		}
		_, canon, _ := lookup(tc.key)
		if got := c.Size(canon); got != tc.want {
			t.Errorf("Set(%s, %q): Size = %d, want %d", tc.key, tc.in, got, tc.want)
		}
	}

	bad := []struct {
		key, in   string
		fragments []string
	}{
		{ExecutorMemory, "lots", []string{"expected a size such as 512m", "a bare number is in MiB"}},
		{ExecutorMemory, "1.5g", []string{"fractions are not accepted"}},
		{ExecutorMemory, "2x", []string{"expected a size"}},
		{ExecutorMemory, "", []string{"expected a size"}},
		{ExecutorMemory, "-1g", []string{"expected a size"}},
		{ExecutorMemory, "0", []string{"must be at least 1m"}},
		{ExecutorMemory, "512k", []string{"must be at least 1m"}},
		{ExecutorMemory, "99999999999p", []string{"too large"}},
	}
	for _, tc := range bad {
		_, err := setOne(t, tc.key, tc.in)
		wantInvalid(t, err, tc.key, tc.in, tc.fragments...)
	}
}

func TestIntsBoolsEnums(t *testing.T) {
	ints := []struct {
		key, in string
		want    int
	}{
		{ExecutorInstances, "8", 8},
		{ExecutorInstances, " 8 ", 8},
		{ReceiverMaxRate, "0", 0},
		{ReceiverMaxRate, "100000", 100000},
		{YarnPriority, "-3", -3}, // priorities may be negative
		{"spark.yarn.max.executor.failures", "20", 20},
		{"spark.yarn.max.worker.failures", "21", 21},
	}
	for _, tc := range ints {
		c, err := setOne(t, tc.key, tc.in)
		if err != nil {
			t.Errorf("Set(%s, %q): %v", tc.key, tc.in, err)
			continue
		}
		_, canon, _ := lookup(tc.key)
		if got := c.Int(canon); got != tc.want {
			t.Errorf("Set(%s, %q): Int = %d, want %d", tc.key, tc.in, got, tc.want)
		}
	}

	bools := []struct {
		in   string
		want bool
	}{{"true", true}, {"TRUE", true}, {"False", false}, {" false ", false}}
	for _, tc := range bools {
		c, err := setOne(t, ReceiverWALEnable, tc.in)
		if err != nil || c.Bool(ReceiverWALEnable) != tc.want {
			t.Errorf("Set(%s, %q): %v, %v", ReceiverWALEnable, tc.in, c.Bool(ReceiverWALEnable), err)
		}
	}

	c, err := setOne(t, DeployMode, "Cluster")
	if err != nil || c.String(DeployMode) != DeployModeCluster {
		t.Errorf("Set(deployMode, Cluster): %q, %v", c.String(DeployMode), err)
	}
	c, err = setOne(t, CheckpointOnGraphChange, "discard")
	if err != nil || c.String(CheckpointOnGraphChange) != GraphChangeDiscard {
		t.Errorf("Set(onGraphChange, discard): %q, %v", c.String(CheckpointOnGraphChange), err)
	}

	bad := []struct {
		key, in   string
		fragments []string
	}{
		{ExecutorInstances, "two", []string{"expected an integer"}},
		{ExecutorInstances, "2.5", []string{"expected an integer"}},
		{ExecutorInstances, "0", []string{"must be at least 1"}},
		{ConcurrentJobs, "0", []string{"must be at least 1"}},
		{BlockQueueSize, "0", []string{"must be at least 1"}},
		{ReceiverMaxRate, "-1", []string{"must not be negative"}},
		{YarnMaxAppAttempts, "-1", []string{"must not be negative"}},
		{DefaultParallelism, "99999999999999999999", []string{"too large"}},
		{ReceiverWALEnable, "yes", []string{"expected true or false"}},
		{ReceiverWALEnable, "1", []string{"expected true or false"}},
		{DeployMode, "remote", []string{"expected one of client, cluster"}},
		{CheckpointOnGraphChange, "ignore", []string{"expected one of fail, discard"}},
		{AppName, " ", []string{"must not be empty"}},
		{YarnQueue, "", []string{"must not be empty"}},
	}
	for _, tc := range bad {
		_, err := setOne(t, tc.key, tc.in)
		wantInvalid(t, err, tc.key, tc.in, tc.fragments...)
	}
}

func TestListsAndStrings(t *testing.T) {
	c, err := setOne(t, "spark.yarn.tags", " a, b ,,c ")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Strings(YarnTags); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("Strings = %q", got)
	}
	if got := c.String(YarnTags); got != "a,b,c" {
		t.Errorf("String = %q", got)
	}
	if got := Defaults().Strings(Files); got != nil {
		t.Errorf("default Strings(Files) = %q, want nil", got)
	}
	// Strings returns a copy.
	c.Strings(YarnTags)[0] = "changed"
	if c.Strings(YarnTags)[0] != "a" {
		t.Error("Strings shares its slice with the Conf")
	}
	// Strings keep their spaces.
	c, _ = setOne(t, AppName, " my app ")
	if c.String(AppName) != " my app " {
		t.Errorf("String(AppName) = %q", c.String(AppName))
	}
}

func TestMaster(t *testing.T) {
	ok := []struct {
		in, text string
		yarn     bool
		slots    int
	}{
		{"yarn", "yarn", true, 0},
		{"YARN", "yarn", true, 0},
		{"local", "local", false, 1},
		{"local[4]", "local[4]", false, 4},
		{"local[*]", "local[*]", false, runtime.NumCPU()},
	}
	for _, tc := range ok {
		c, err := setOne(t, "spark.master", tc.in)
		if err != nil {
			t.Errorf("Set(master, %q): %v", tc.in, err)
			continue
		}
		m := c.Master()
		if c.String(Master) != tc.text || m.String() != tc.text || m.YARN != tc.yarn || m.LocalSlots != tc.slots {
			t.Errorf("master %q: String %q, %+v", tc.in, c.String(Master), m)
		}
	}
	bad := []struct{ in, fragment string }{
		{"local[0]", "expected yarn, local, local[N]"},
		{"local[x]", "expected yarn, local, local[N]"},
		{"local[2,3]", "gostream.task.maxFailures"},
		{"yarn-cluster", "gostream.submit.deployMode=cluster"},
		{"spark://host:7077", "only on YARN or locally"},
		{"k8s://https://host", "only on YARN or locally"},
		{"", "expected yarn"},
	}
	for _, tc := range bad {
		_, err := setOne(t, Master, tc.in)
		wantInvalid(t, err, Master, tc.in, tc.fragment)
	}
}
