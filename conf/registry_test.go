package conf

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

func TestTableIsConsistent(t *testing.T) {
	envPattern := regexp.MustCompile(`^GOSTREAM_[A-Z0-9_]+$`)
	for _, k := range reg.keys {
		if env := envName(k.name); !envPattern.MatchString(env) {
			t.Errorf("%s: environment variable %q", k.name, env)
		}
		if strings.Contains(k.doc, "\n") {
			t.Errorf("%s: doc is not one line", k.name)
		}
		if !k.prefix {
			// The default is what Defaults gives.
			if Defaults().String(k.name) != reg.defaults[k.name].text {
				t.Errorf("%s: default mismatch", k.name)
			}
		}
		for _, s := range k.spark {
			if _, exact, _ := unsupportedReason(s); exact {
				t.Errorf("%s: Spark name %s is also listed as unsupported", k.name, s)
			}
		}
	}
}

func TestSparkNamesResolve(t *testing.T) {
	// Every Spark name of every key, and the ones the issue spells out.
	pairs := map[string]string{
		"spark.streaming.blockInterval":                    BlockInterval,
		"spark.yarn.maxAppAttempts":                        YarnMaxAppAttempts,
		"spark.yarn.am.attemptFailuresValidityInterval":    YarnAMAttemptFailuresValidityInterval,
		"spark.executor.maxNumFailures":                    ExecutorMaxNumFailures,
		"spark.yarn.max.executor.failures":                 ExecutorMaxNumFailures,
		"spark.yarn.executor.failuresValidityInterval":     ExecutorFailuresValidityInterval,
		"spark.streaming.minRememberDuration":              FileStreamMinRememberDuration,
		"spark.yarn.principal":                             KerberosPrincipal,
		"spark.submit.deployMode":                          DeployMode,
		"spark.streaming.receiver.writeAheadLog.enable":    ReceiverWALEnable,
		"spark.yarn.scheduler.initial-allocation.interval": YarnSchedulerInitialAllocationInterval,
	}
	for _, k := range reg.keys {
		if k.prefix {
			continue
		}
		for _, s := range k.spark {
			pairs[s] = k.name
		}
		pairs[k.name] = k.name
	}
	for name, want := range pairs {
		k, canon, err := resolve(name)
		if err != nil || canon != want || k.name != want {
			t.Errorf("resolve(%q) = %q, %v; want %q", name, canon, err, want)
		}
	}
	// A value set through a Spark name is read through the gostream name.
	c := Defaults()
	if err := c.Set("spark.yarn.maxAppAttempts", "4"); err != nil {
		t.Fatal(err)
	}
	if c.Int(YarnMaxAppAttempts) != 4 || !c.IsSet(YarnMaxAppAttempts) {
		t.Errorf("maxAppAttempts = %d, IsSet %v", c.Int(YarnMaxAppAttempts), c.IsSet(YarnMaxAppAttempts))
	}
}

func TestFamilies(t *testing.T) {
	c := Defaults()
	for _, kv := range [][2]string{
		{"gostream.executorEnv.TZ", "UTC"},
		{"spark.executorEnv.GODEBUG", "gctrace=1"},
		{"spark.yarn.appMasterEnv.HADOOP_USER_NAME", "hd"},
	} {
		if err := c.Set(kv[0], kv[1]); err != nil {
			t.Fatalf("Set(%q): %v", kv[0], err)
		}
	}
	env := c.StringMap(ExecutorEnv)
	if len(env) != 2 || env["TZ"] != "UTC" || env["GODEBUG"] != "gctrace=1" {
		t.Errorf("StringMap(ExecutorEnv) = %v", env)
	}
	if am := c.StringMap(YarnAppMasterEnv); len(am) != 1 || am["HADOOP_USER_NAME"] != "hd" {
		t.Errorf("StringMap(YarnAppMasterEnv) = %v", am)
	}
	if c.String("gostream.executorEnv.TZ") != "UTC" || c.String("gostream.executorEnv.NOPE") != "" {
		t.Error("String of a family member")
	}
	if !c.IsSet("gostream.executorEnv.TZ") || c.IsSet("gostream.executorEnv.NOPE") {
		t.Error("IsSet of a family member")
	}
	if got := EnvVar("spark.executorEnv.TZ"); got != "GOSTREAM_EXECUTORENV_TZ" {
		t.Errorf("EnvVar = %q", got)
	}
	for _, bad := range []string{"gostream.executorEnv.1X", "gostream.executorEnv.A-B", "spark.executorEnv.", "gostream.executorEnv", "spark.yarn.appMasterEnv"} {
		err := c.Set(bad, "v")
		if !errors.Is(err, ErrUnknownKey) {
			t.Errorf("Set(%q) = %v, want ErrUnknownKey", bad, err)
		}
	}
}

func TestEnvVar(t *testing.T) {
	for key, want := range map[string]string{
		BlockInterval:                   "GOSTREAM_STREAMING_BLOCKINTERVAL",
		"spark.streaming.blockInterval": "GOSTREAM_STREAMING_BLOCKINTERVAL",
		YarnSchedulerHeartbeatInterval:  "GOSTREAM_YARN_SCHEDULER_HEARTBEAT_INTERVAL_MS",
		YarnPreserveStagingFiles:        "GOSTREAM_YARN_PRESERVE_STAGING_FILES",
		Master:                          "GOSTREAM_MASTER",
		"gostream.nope":                 "",
	} {
		if got := EnvVar(key); got != want {
			t.Errorf("EnvVar(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestYARNOnly(t *testing.T) {
	for key, want := range map[string]bool{
		ExecutorInstances:          true,
		"spark.executor.instances": true,
		"spark.yarn.queue":         true,
		"spark.executorEnv.TZ":     true, // a family member
		Files:                      true,
		"spark.driver.memory":      false, // the local driver's GOMEMLIMIT
		Master:                     false,
		BlockInterval:              false,
		NetworkTimeout:             false, // the local driver's calls use it too
		"gostream.nope":            false,
	} {
		if got := YARNOnly(key); got != want {
			t.Errorf("YARNOnly(%q) = %v, want %v", key, got, want)
		}
	}
}

func TestUnknownKeys(t *testing.T) {
	tests := []struct {
		key, suggestion string
	}{
		{"gostream.streaming.blockIntervall", BlockInterval},
		{"gostream.streaming.blockinterval", BlockInterval},
		{"gostream.streaming.blockInteval", BlockInterval},
		{"gostream.yarn.maxAppAtempts", YarnMaxAppAttempts},
		{"gostream.executor.memroy", ExecutorMemory},
		{"streaming.blockInterval", BlockInterval}, // missing prefix
		{"executor.instances", ExecutorInstances},
		{"spark.streaming.blockIntervall", "spark.streaming.blockInterval"},
		{"spark.yarn.submit.waitAppCompletin", "spark.yarn.submit.waitAppCompletion"}, // near a supported key: not "unsupported"
		{"spark.streaming.receiver.writeAheadLog.enabled", "spark.streaming.receiver.writeAheadLog.enable"},
		{"gostream.frobnicate", ""},
		{"foo", ""},
		{"spark.nothing.like.this", ""},
	}
	for _, tc := range tests {
		err := Defaults().Set(tc.key, "1")
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, ErrUnknownKey) {
			t.Errorf("Set(%q) = %v, want ErrUnknownKey", tc.key, err)
			continue
		}
		if e.Key != tc.key || e.Suggestion != tc.suggestion {
			t.Errorf("Set(%q): Key %q, Suggestion %q; want suggestion %q", tc.key, e.Key, e.Suggestion, tc.suggestion)
		}
		want := `unknown configuration key "` + tc.key + `"`
		if tc.suggestion != "" {
			want += ` (did you mean "` + tc.suggestion + `"?)`
		}
		if err.Error() != want {
			t.Errorf("message %q, want %q", err, want)
		}
	}
}

func TestUnsupportedSparkKeys(t *testing.T) {
	tests := []struct{ key, fragment string }{
		{"spark.dynamicAllocation.enabled", "gostream.executor.instances"},
		{"spark.streaming.backpressure.enabled", "gostream.streaming.receiver.maxRate"},
		{"spark.executor.extraJavaOptions", "not a JVM"},
		{"spark.sql.shuffle.partitions", "no SQL"},
		{"spark.hadoop.fs.defaultFS", "HADOOP_CONF_DIR"},
		{"spark.speculation", "scheduling"},
		{"spark.streaming.receiver.writeAheadLog.closeFileAfterWrite", "write-ahead log"},
		{"spark.kerberos.relogin.period", "keytab"},
		{"spark.network.timeoutInterval", "not supported"},
	}
	for _, tc := range tests {
		err := Defaults().Set(tc.key, "true")
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, ErrUnsupportedKey) {
			t.Errorf("Set(%q) = %v, want ErrUnsupportedKey", tc.key, err)
			continue
		}
		msg := err.Error()
		if e.Key != tc.key || !strings.Contains(msg, "is not supported by gostream") || !strings.Contains(msg, tc.fragment) {
			t.Errorf("Set(%q): %q (Key %q), want it to say not supported and %q", tc.key, msg, e.Key, tc.fragment)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"a", "", 1}, {"", "abc", 3}, {"kitten", "sitting", 3}, {"blockInterval", "blockIntervall", 1}, {"ab", "ba", 2}} {
		if got := editDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
