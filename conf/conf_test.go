package conf

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestDefaults(t *testing.T) {
	c := Defaults()
	var zero Conf // the zero Conf holds the defaults too
	checks := []struct {
		key       string
		got, zero any
		want      any
	}{
		{Master, c.String(Master), zero.String(Master), "local[*]"},
		{AppName, c.String(AppName), zero.String(AppName), "gostream"},
		{DeployMode, c.String(DeployMode), zero.String(DeployMode), DeployModeClient},
		{DefaultParallelism, c.Int(DefaultParallelism), zero.Int(DefaultParallelism), 0},
		{BlockInterval, c.Duration(BlockInterval), zero.Duration(BlockInterval), 200 * time.Millisecond},
		{ReceiverMaxRate, c.Int(ReceiverMaxRate), zero.Int(ReceiverMaxRate), 0},
		{BlockQueueSize, c.Int(BlockQueueSize), zero.Int(BlockQueueSize), 10},
		{ReceiverWALEnable, c.Bool(ReceiverWALEnable), zero.Bool(ReceiverWALEnable), false},
		{ReceiverRestartDelay, c.Duration(ReceiverRestartDelay), zero.Duration(ReceiverRestartDelay), 2 * time.Second},
		{ConcurrentJobs, c.Int(ConcurrentJobs), zero.Int(ConcurrentJobs), 1},
		{GracefulStopTimeout, c.Duration(GracefulStopTimeout), zero.Duration(GracefulStopTimeout), time.Duration(0)},
		{StopGracefullyOnShutdown, c.Bool(StopGracefullyOnShutdown), zero.Bool(StopGracefullyOnShutdown), false},
		{CheckpointDirectory, c.String(CheckpointDirectory), zero.String(CheckpointDirectory), ""},
		{CheckpointOnGraphChange, c.String(CheckpointOnGraphChange), zero.String(CheckpointOnGraphChange), GraphChangeFail},
		{CheckpointRetained, c.Int(CheckpointRetained), zero.Int(CheckpointRetained), 10},
		{StopMarker, c.String(StopMarker), zero.String(StopMarker), ""},
		{StopMarkerPollInterval, c.Duration(StopMarkerPollInterval), zero.Duration(StopMarkerPollInterval), 5 * time.Second},
		{FileStreamMinRememberDuration, c.Duration(FileStreamMinRememberDuration), zero.Duration(FileStreamMinRememberDuration), time.Minute},
		{UIRetainedBatches, c.Int(UIRetainedBatches), zero.Int(UIRetainedBatches), 1000},
		{NetworkTimeout, c.Duration(NetworkTimeout), zero.Duration(NetworkTimeout), 120 * time.Second},
		{ExecutorInstances, c.Int(ExecutorInstances), zero.Int(ExecutorInstances), 2},
		{ExecutorMemory, c.Size(ExecutorMemory), zero.Size(ExecutorMemory), int64(1 << 30)},
		{ExecutorCores, c.Int(ExecutorCores), zero.Int(ExecutorCores), 1},
		{DriverMemory, c.Size(DriverMemory), zero.Size(DriverMemory), int64(1 << 30)},
		{DriverCores, c.Int(DriverCores), zero.Int(DriverCores), 1},
		{ExecutorMaxNumFailures, c.Int(ExecutorMaxNumFailures), zero.Int(ExecutorMaxNumFailures), 0},
		{ExecutorFailuresValidityInterval, c.Duration(ExecutorFailuresValidityInterval), zero.Duration(ExecutorFailuresValidityInterval), time.Duration(0)},
		{YarnMaxAppAttempts, c.Int(YarnMaxAppAttempts), zero.Int(YarnMaxAppAttempts), 0},
		{YarnAMAttemptFailuresValidityInterval, c.Duration(YarnAMAttemptFailuresValidityInterval), zero.Duration(YarnAMAttemptFailuresValidityInterval), time.Duration(0)},
		{YarnSubmitWaitAppCompletion, c.Bool(YarnSubmitWaitAppCompletion), zero.Bool(YarnSubmitWaitAppCompletion), true},
		{YarnQueue, c.String(YarnQueue), zero.String(YarnQueue), "default"},
		{YarnStagingDir, c.String(YarnStagingDir), zero.String(YarnStagingDir), ""},
		{YarnTags, c.String(YarnTags), zero.String(YarnTags), ""},
		{YarnPriority, c.Int(YarnPriority), zero.Int(YarnPriority), 0},
		{YarnSchedulerHeartbeatInterval, c.Duration(YarnSchedulerHeartbeatInterval), zero.Duration(YarnSchedulerHeartbeatInterval), 3 * time.Second},
		{YarnSchedulerInitialAllocationInterval, c.Duration(YarnSchedulerInitialAllocationInterval), zero.Duration(YarnSchedulerInitialAllocationInterval), 200 * time.Millisecond},
		{Files, c.String(Files), zero.String(Files), ""},
	}
	for _, ch := range checks {
		if ch.got != ch.want || ch.zero != ch.want {
			t.Errorf("%s = %v (zero Conf: %v), want %v", ch.key, ch.got, ch.zero, ch.want)
		}
	}
	if err := c.Validate(); err != nil {
		t.Errorf("defaults do not validate: %v", err)
	}
	if env := c.Environ(); len(env) != 0 {
		t.Errorf("Environ of defaults = %q", env)
	}
}

func TestCloneIsIndependent(t *testing.T) {
	a := Defaults()
	if err := a.Set(AppName, "a"); err != nil {
		t.Fatal(err)
	}
	b := a.Clone()
	if err := b.Set(AppName, "b"); err != nil {
		t.Fatal(err)
	}
	if err := b.Set(YarnQueue, "q"); err != nil {
		t.Fatal(err)
	}
	if a.String(AppName) != "a" || a.IsSet(YarnQueue) || b.String(AppName) != "b" {
		t.Errorf("a %q %v, b %q", a.String(AppName), a.IsSet(YarnQueue), b.String(AppName))
	}
	var zero Conf
	if c := zero.Clone(); c.Set(AppName, "x") != nil || zero.IsSet(AppName) {
		t.Error("Clone of the zero Conf")
	}
}

func TestSetKeepsOldValueOnError(t *testing.T) {
	c := Defaults()
	if err := c.Set(BlockInterval, "1s"); err != nil {
		t.Fatal(err)
	}
	if err := c.Set(BlockInterval, "bad"); err == nil {
		t.Fatal("no error")
	}
	if c.Duration(BlockInterval) != time.Second {
		t.Errorf("value changed by a rejected Set: %v", c.Duration(BlockInterval))
	}
}

func TestAccessorMisusePanics(t *testing.T) {
	c := Defaults()
	for name, f := range map[string]func(){
		"unregistered":          func() { c.String("gostream.nope") },
		"Spark name":            func() { c.Int("spark.executor.instances") },
		"Int of a duration":     func() { c.Int(BlockInterval) },
		"Duration of an int":    func() { c.Duration(ExecutorInstances) },
		"Bool of a string":      func() { c.Bool(AppName) },
		"Size of a duration":    func() { c.Size(BlockInterval) },
		"Strings of a string":   func() { c.Strings(AppName) },
		"Int of a family":       func() { c.Int("gostream.executorEnv.X") },
		"StringMap of a key":    func() { c.StringMap(AppName) },
		"IsSet of unregistered": func() { c.IsSet("gostream.nope") },
	} {
		func() {
			defer func() {
				r := recover()
				if r == nil || !strings.HasPrefix(r.(string), "conf: ") {
					t.Errorf("%s: recovered %v, want a conf: panic", name, r)
				}
			}()
			f()
		}()
	}
}

func TestWriteHelp(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteHelp(&buf); err != nil {
		t.Fatal(err)
	}
	help := buf.String()
	for _, k := range reg.keys {
		name, env := k.name, envName(k.name)
		if k.prefix {
			name, env = name+".NAME", env+"_NAME"
		}
		if !strings.Contains(help, "  "+name+"\n") {
			t.Errorf("help lacks key %s", name)
		}
		if !strings.Contains(help, env+"\n") {
			t.Errorf("help lacks %s", env)
		}
		if !strings.Contains(help, k.doc) {
			t.Errorf("help lacks the doc of %s", k.name)
		}
		for _, s := range k.spark {
			if !strings.Contains(help, s) {
				t.Errorf("help lacks Spark name %s", s)
			}
		}
	}
	for _, want := range []string{
		"  gostream.streaming.blockInterval\n      duration (bare number: milliseconds), at least 1ms, default 200ms\n      Spark: spark.streaming.blockInterval\n",
		"  gostream.network.timeout\n      duration (bare number: seconds), at least 1ms, default 120s\n",
		"  gostream.executor.memory\n      size (bare number: MiB), at least 1m, default 1g\n",
		"  gostream.submit.deployMode\n      client|cluster, default client\n",
		"  gostream.yarn.queue\n      string, default \"default\"\n",
		"Spark: spark.executor.maxNumFailures (also spark.yarn.max.executor.failures",
	} {
		if !strings.Contains(help, want) {
			t.Errorf("help lacks %q", want)
		}
	}
}

func TestSetDefaultYieldsToTheOperator(t *testing.T) {
	c := Defaults()
	if err := c.Set("spark.streaming.receiver.writeAheadLog.enable", "false"); err != nil {
		t.Fatal(err)
	}
	if err := c.SetDefault(ReceiverWALEnable, "true"); err != nil || c.Bool(ReceiverWALEnable) {
		t.Errorf("SetDefault over a set key: err %v, value %v; want the set value (false) kept", err, c.Bool(ReceiverWALEnable))
	}
	c = Defaults()
	if err := c.SetDefault(ReceiverWALEnable, "true"); err != nil || !c.Bool(ReceiverWALEnable) || !c.IsSet(ReceiverWALEnable) {
		t.Errorf("SetDefault over an unset key: err %v, value %v; want true, set", err, c.Bool(ReceiverWALEnable))
	}
	if err := c.SetDefault("gostream.no.such.key", "1"); err == nil {
		t.Error("SetDefault of an unknown key: no error")
	}
	if err := c.SetDefault(BlockInterval, "soon"); err == nil {
		t.Error("SetDefault with a malformed value: no error")
	}
}
