package conf

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// writeFile writes a properties file in a temporary directory.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadExampleFile(t *testing.T) {
	c, err := Load(Sources{PropertiesFile: "testdata/example.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		key  string
		got  any
		want any
	}{
		{AppName, c.String(AppName), "wordcount"},
		{Master, c.String(Master), "yarn"},
		{DeployMode, c.String(DeployMode), DeployModeCluster},
		{BlockInterval, c.Duration(BlockInterval), 500 * time.Millisecond},
		{ReceiverWALEnable, c.Bool(ReceiverWALEnable), true},
		{CheckpointDirectory, c.String(CheckpointDirectory), "hdfs:///user/gostream/checkpoints/wordcount"},
		{ExecutorInstances, c.Int(ExecutorInstances), 4},
		{ExecutorMemory, c.Size(ExecutorMemory), int64(2 << 30)},
		{YarnMaxAppAttempts, c.Int(YarnMaxAppAttempts), 4},
		{YarnAMAttemptFailuresValidityInterval, c.Duration(YarnAMAttemptFailuresValidityInterval), time.Hour},
		{NetworkTimeout, c.Duration(NetworkTimeout), 300 * time.Second},
		{YarnTags, c.String(YarnTags), "streaming,wordcount"},
		{"gostream.executorEnv.TZ", c.String("gostream.executorEnv.TZ"), "UTC"},
		// Untouched keys keep their defaults.
		{YarnQueue, c.String(YarnQueue), "default"},
		{BlockQueueSize, c.Int(BlockQueueSize), 10},
		{ExecutorHeartbeatInterval, c.Duration(ExecutorHeartbeatInterval), 10 * time.Second},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.key, ch.got, ch.want)
		}
	}
	if !c.IsSet(BlockInterval) || c.IsSet(YarnQueue) {
		t.Errorf("IsSet: blockInterval %v, queue %v", c.IsSet(BlockInterval), c.IsSet(YarnQueue))
	}
}

func TestLayerPrecedence(t *testing.T) {
	// Each key is set by the layers from its position on; the highest wins.
	file := writeFile(t, "p.yaml", `
gostream.streaming.blockInterval: 300ms
gostream.executor.instances: 3
gostream.yarn.queue: from-file
spark.app.name: from-file
`)
	env := []string{
		"PATH=/bin",
		"GOSTREAM_EXECUTOR_INSTANCES=5",
		"GOSTREAM_YARN_QUEUE=from-env",
		"GOSTREAM_APP_NAME=from-env",
		"GOSTREAM_UNRELATED=ignored", // not a key: ignored
		"GOSTREAM_ROLE=executor",
		"NOEQUALS",
	}
	overrides := []string{
		"gostream.yarn.queue=from-conf",
		"spark.app.name=first",
		"gostream.app.name=from-conf", // later override wins, whatever the spelling
	}
	c, err := Load(Sources{PropertiesFile: file, Environ: env, Overrides: overrides})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Duration(ReceiverRestartDelay); got != 2*time.Second {
		t.Errorf("default layer: %v", got)
	}
	if got := c.Duration(BlockInterval); got != 300*time.Millisecond {
		t.Errorf("file layer: %v", got)
	}
	if got := c.Int(ExecutorInstances); got != 5 {
		t.Errorf("environment over file: %d", got)
	}
	if got := c.String(YarnQueue); got != "from-conf" {
		t.Errorf("--conf over environment and file: %q", got)
	}
	if got := c.String(AppName); got != "from-conf" {
		t.Errorf("last --conf wins: %q", got)
	}
	if c.IsSet(ReceiverRestartDelay) || !c.IsSet(BlockInterval) || !c.IsSet(ExecutorInstances) || !c.IsSet(YarnQueue) {
		t.Error("IsSet does not follow the layers")
	}
}

func TestDefaultPropertiesFile(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)

	// Absent: not an error.
	c, err := Load(Sources{})
	if err != nil || c.IsSet(AppName) {
		t.Fatalf("no default file: %v", err)
	}

	if err := os.MkdirAll("conf", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(DefaultPropertiesFile, []byte("gostream.app.name: from-default-file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err = Load(Sources{})
	if err != nil || c.String(AppName) != "from-default-file" {
		t.Fatalf("default file: %q, %v", c.String(AppName), err)
	}
	c, err = Load(Sources{NoDefaultPropertiesFile: true})
	if err != nil || c.IsSet(AppName) {
		t.Fatalf("NoDefaultPropertiesFile: %v, %v", c.IsSet(AppName), err)
	}
	// An explicit file replaces the default one.
	other := writeFile(t, "other.yaml", "gostream.yarn.queue: q\n")
	c, err = Load(Sources{PropertiesFile: other})
	if err != nil || c.IsSet(AppName) || c.String(YarnQueue) != "q" {
		t.Fatalf("explicit file: %v", err)
	}
}

func TestMissingExplicitFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing.yaml")
	_, err := Load(Sources{PropertiesFile: path})
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Errorf("Load(missing) = %v", err)
	}
}

func TestFileErrors(t *testing.T) {
	tests := []struct {
		file      string
		class     error // nil: not an *Error
		key       string
		fragments []string
	}{
		{"testdata/bad-value.yaml", ErrInvalidValue, BlockInterval,
			[]string{"testdata/bad-value.yaml:4:", `invalid value "soon" for gostream.streaming.blockInterval`, "expected a duration"}},
		{"testdata/unknown-key.yaml", ErrUnknownKey, "gostream.streaming.blockIntervall",
			[]string{"testdata/unknown-key.yaml:2:", `did you mean "gostream.streaming.blockInterval"?`}},
		{"testdata/duplicate.yaml", ErrDuplicateKey, "spark.streaming.blockInterval",
			[]string{"testdata/duplicate.yaml:2:", "also set at line 1"}},
		{"testdata/malformed.yaml", nil, "", []string{"properties file testdata/malformed.yaml", "line 2"}},
		{"testdata/not-a-mapping.yaml", nil, "", []string{"testdata/not-a-mapping.yaml:1", "expected a mapping"}},
	}
	for _, tc := range tests {
		_, err := Load(Sources{PropertiesFile: tc.file})
		if err == nil {
			t.Errorf("%s: no error", tc.file)
			continue
		}
		var e *Error
		if tc.class == nil {
			if errors.As(err, &e) {
				t.Errorf("%s: unexpected *Error %v", tc.file, err)
			}
		} else if !errors.As(err, &e) || !errors.Is(err, tc.class) || e.Key != tc.key || !strings.HasPrefix(e.Source, tc.file+":") {
			t.Errorf("%s: %v; want %v for key %s", tc.file, err, tc.class, tc.key)
		}
		for _, f := range tc.fragments {
			if !strings.Contains(err.Error(), f) {
				t.Errorf("%s: error %q does not contain %q", tc.file, err, f)
			}
		}
	}
}

func TestYAMLForms(t *testing.T) {
	c, err := Load(Sources{PropertiesFile: "testdata/empty.yaml"})
	if err != nil || len(c.Environ()) != 0 {
		t.Errorf("empty file: %v, %v", err, c)
	}
	tests := []struct {
		name, yaml string
		check      func(c *Conf) bool
		errFrag    string
	}{
		{"empty document", "", func(c *Conf) bool { return len(c.set) == 0 }, ""},
		{"null is empty", "gostream.yarn.stagingDir:\n", func(c *Conf) bool { return c.IsSet(YarnStagingDir) && c.String(YarnStagingDir) == "" }, ""},
		{"quoted", `gostream.app.name: "a: b"`, func(c *Conf) bool { return c.String(AppName) == "a: b" }, ""},
		{"nested spark", "spark:\n  yarn:\n    queue: q\n", func(c *Conf) bool { return c.String(YarnQueue) == "q" }, ""},
		{"nested with dotted keys", "gostream.yarn:\n  submit.waitAppCompletion: false\n", func(c *Conf) bool { return !c.Bool(YarnSubmitWaitAppCompletion) }, ""},
		{"unknown top-level key", "x: 7\n", nil, `unknown configuration key "x"`},
		{"alias value", "gostream.executor.instances: &n 6\ngostream.executor.cores: *n\n", func(c *Conf) bool { return c.Int(ExecutorCores) == 6 }, ""},
		{"list for files", "gostream.files: [a.txt, hdfs:///b.txt]\n", func(c *Conf) bool {
			return slices.Equal(c.Strings(Files), []string{"a.txt", "hdfs:///b.txt"})
		}, ""},
		{"list for a scalar key", "gostream.executor.cores: [1, 2]\n", nil, "expected a single value, not a list"},
		{"list of maps", "gostream.files: [{a: b}]\n", nil, "expected a list of strings"},
		{"map for a scalar key", "gostream.master:\n  url: yarn\n", nil, `unknown configuration key "gostream.master.url"`},
		{"nested duplicate", "gostream.yarn.queue: a\ngostream:\n  yarn:\n    queue: b\n", nil, "also set at line 1"},
		{"merge key", "base: &b {gostream.yarn.queue: a}\n<<: *b\n", nil, "merge keys"},
		{"unsupported", "spark.dynamicAllocation.enabled: true\n", nil, "not supported by gostream"},
		{"yaml bool for string", "gostream.app.name: yes\n", func(c *Conf) bool { return c.String(AppName) == "yes" }, ""},
	}
	for _, tc := range tests {
		path := writeFile(t, "p.yaml", tc.yaml)
		c, err := Load(Sources{PropertiesFile: path})
		if tc.errFrag != "" {
			if err == nil || !strings.Contains(err.Error(), tc.errFrag) || !strings.Contains(err.Error(), path) {
				t.Errorf("%s: error %v, want one naming the file and saying %q", tc.name, err, tc.errFrag)
			}
			continue
		}
		if err != nil || !tc.check(c) {
			t.Errorf("%s: %v (Environ %q)", tc.name, err, c.Environ())
		}
	}
}

func TestSparkPropertiesFile(t *testing.T) {
	c, err := Load(Sources{PropertiesFile: "testdata/spark-defaults.conf"})
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		how       string
		got, want any
	}{
		{"key value", c.String(Master), "yarn"},
		{"key=value, trailing blanks trimmed", c.String(AppName), "my app"},
		{"key: value", c.String(YarnQueue), "streaming"},
		{"indented", c.Size(ExecutorMemory), int64(2 << 30)},
		{"continued line", c.String(YarnTags), "a,b"},
		{"escapes", c.String("gostream.executorEnv.GREETING"), "tab\there \u00e9"},
		{"tab-separated gostream name", c.Duration(BlockInterval), 500 * time.Millisecond},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s: got %q, want %q", ch.how, ch.got, ch.want)
		}
	}

	tests := []struct {
		name, content string
		check         func(c *Conf) bool
		errFrag       string
	}{
		{"spark-defaults.conf", "spark.master local[2]\n", func(c *Conf) bool { return c.String(Master) == "local[2]" }, ""},
		{"p.properties", "spark.master=local[2]\n", func(c *Conf) bool { return c.String(Master) == "local[2]" }, ""},
		{"p.conf", "# only comments\n\n", func(c *Conf) bool { return len(c.set) == 0 }, ""},
		{"p.conf", "spark.app.name = = x\nspark.yarn.queue:=q\n", func(c *Conf) bool {
			return c.String(AppName) == "= x" && c.String(YarnQueue) == "=q"
		}, ""},
		{"p.conf", "spark.app.name a\\\\\nspark.yarn.queue q\n", func(c *Conf) bool { // an even number of backslashes does not continue
			return c.String(AppName) == "a\\" && c.String(YarnQueue) == "q"
		}, ""},
		{"p.conf", "spark.app.name a\r\nspark.yarn.queue q\r", func(c *Conf) bool {
			return c.String(AppName) == "a" && c.String(YarnQueue) == "q"
		}, ""},
		{"p.conf", "gostream.app\\.name x\n", func(c *Conf) bool { return c.String(AppName) == "x" }, ""},
		// Without a known extension, Spark's lines are recognised by their content.
		{"spark-defaults", "spark.master yarn\nspark.executor.memory=3g\n", func(c *Conf) bool {
			return c.String(Master) == "yarn" && c.Size(ExecutorMemory) == 3<<30
		}, ""},
		{"defaults", "gostream.master: yarn\n", func(c *Conf) bool { return c.String(Master) == "yarn" }, ""},
		// Errors name the file and the line the setting starts on.
		{"p.conf", "spark.master yarn\nspark.yarn.tags a,\\\n  b\nspark.streaming.blockIntervall 1s\n", nil,
			`p.conf:4: unknown configuration key "spark.streaming.blockIntervall" (did you mean "spark.streaming.blockInterval"?)`},
		{"p.conf", "spark.yarn.queue a\ngostream.yarn.queue b\n", nil, "p.conf:2: configuration key \"gostream.yarn.queue\" set twice: gostream.yarn.queue is also set at line 1"},
		{"p.conf", "spark.serializer org.apache.spark.serializer.KryoSerializer\n", nil, "p.conf:1: configuration key \"spark.serializer\" is not supported by gostream"},
		{"p.conf", "spark.executor.memory lots\n", nil, `p.conf:1: invalid value "lots" for spark.executor.memory`},
		{"p.conf", "spark.app.name \\u00\n", nil, `p.conf:1: malformed escape`},
		{"p.conf", "\n\nspark.master\n", nil, `p.conf:3: invalid value "" for spark.master`},
		{"defaults", "spark.master yarn\nspark.app.name: x\n", nil, "must be named *.conf or *.properties"},
	}
	for _, tc := range tests {
		path := writeFile(t, tc.name, tc.content)
		c, err := Load(Sources{PropertiesFile: path})
		if tc.errFrag != "" {
			if err == nil || !strings.Contains(err.Error(), tc.errFrag) || !strings.Contains(err.Error(), path) {
				t.Errorf("%s %q: error %v, want one naming the file and saying %q", tc.name, tc.content, err, tc.errFrag)
			}
			continue
		}
		if err != nil || !tc.check(c) {
			t.Errorf("%s %q: %v (Environ %q)", tc.name, tc.content, err, c.Environ())
		}
	}
}

func TestEnvironmentErrors(t *testing.T) {
	_, err := Load(Sources{Environ: []string{"GOSTREAM_STREAMING_BLOCKINTERVAL=fast"}})
	var e *Error
	if !errors.As(err, &e) || e.Source != "environment variable GOSTREAM_STREAMING_BLOCKINTERVAL" || e.Key != BlockInterval || e.Value != "fast" {
		t.Fatalf("Load = %v (%+v)", err, e)
	}
	if !strings.HasPrefix(err.Error(), `environment variable GOSTREAM_STREAMING_BLOCKINTERVAL: invalid value "fast" for gostream.streaming.blockInterval: expected`) {
		t.Errorf("message %q", err)
	}
}

func TestEnvironmentWarnings(t *testing.T) {
	var warnings []error
	c, err := Load(Sources{
		Environ: []string{
			"GOSTREAM_EXECUTOR_INSTANCE=3",           // misspelled
			"GOSTREAM_streaming_blockInterval=1s",    // wrong case
			"GOSTREAM_NOTHING_LIKE_ANY_KEY_AT_ALL=1", // no suggestion
			"GOSTREAM_ROLE=driver",                   // another meaning, listed
			"GOSTREAM_MASTER=local[2]",               // a key
			"GOSTREAM_EXECUTORENV_TZ=UTC",            // a family member
			"PATH=/bin",
		},
		OtherVars: []string{"GOSTREAM_ROLE"},
		Warn:      func(err error) { warnings = append(warnings, err) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.String(Master) != "local[2]" || c.String("gostream.executorEnv.TZ") != "UTC" || c.IsSet(ExecutorInstances) {
		t.Errorf("Environ %q", c.Environ())
	}
	want := []string{
		`environment variable GOSTREAM_EXECUTOR_INSTANCE: unknown configuration variable (did you mean "GOSTREAM_EXECUTOR_INSTANCES"?): it is ignored`,
		`environment variable GOSTREAM_streaming_blockInterval: unknown configuration variable (did you mean "GOSTREAM_STREAMING_BLOCKINTERVAL"?): it is ignored`,
		`environment variable GOSTREAM_NOTHING_LIKE_ANY_KEY_AT_ALL: unknown configuration variable: it is ignored`,
	}
	var got []string
	for _, w := range warnings {
		var e *Error
		if !errors.As(w, &e) || !errors.Is(w, ErrUnknownKey) {
			t.Errorf("warning %v is not an *Error of class ErrUnknownKey", w)
		}
		got = append(got, w.Error())
	}
	if !slices.Equal(got, want) {
		t.Errorf("warnings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestOverrideErrors(t *testing.T) {
	_, err := Load(Sources{Overrides: []string{
		"gostream.executor.cores",              // no "="
		"gostream.streaming.blockIntervall=1s", // unknown
		"spark.dynamicAllocation.enabled=true", // unsupported
		"spark.executor.memory=lots",           // malformed
		" gostream.executor.instances = 3",     // fine: the key is trimmed, the value too for ints
		"gostream.streaming.concurrentJobs=0",  // out of range
	}})
	if err == nil {
		t.Fatal("no error")
	}
	var classes []error
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ce *Error
		if !errors.As(e, &ce) || ce.Source != "--conf" {
			t.Errorf("%v: not an *Error from --conf", e)
			continue
		}
		classes = append(classes, ce.Err)
	}
	want := []error{ErrInvalidValue, ErrUnknownKey, ErrUnsupportedKey, ErrInvalidValue, ErrInvalidValue}
	if !slices.Equal(classes, want) {
		t.Errorf("classes %v, want %v", classes, want)
	}
	for _, frag := range []string{
		`--conf: invalid setting "gostream.executor.cores": expected key=value`,
		`--conf: unknown configuration key "gostream.streaming.blockIntervall" (did you mean "gostream.streaming.blockInterval"?)`,
		`--conf: configuration key "spark.dynamicAllocation.enabled" is not supported by gostream`,
		`--conf: invalid value "lots" for spark.executor.memory (gostream.executor.memory): expected a size`,
		`--conf: invalid value "0" for gostream.streaming.concurrentJobs: must be at least 1`,
	} {
		if !strings.Contains(err.Error(), frag) {
			t.Errorf("error does not contain %q:\n%v", frag, err)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		overrides []string
		key       string
		fragment  string
	}{
		{[]string{"gostream.submit.deployMode=cluster"}, DeployMode, "needs gostream.master=yarn"},
		{[]string{"gostream.master=local[2]", "gostream.submit.deployMode=cluster"}, DeployMode, "needs gostream.master=yarn"},
		{[]string{"spark.executor.heartbeatInterval=200s"}, ExecutorHeartbeatInterval, "must be less than gostream.network.timeout"},
		{[]string{"spark.network.timeout=5"}, NetworkTimeout, "must be less than gostream.network.timeout (5s)"},
		{[]string{"spark.kerberos.principal=me@EXAMPLE.COM"}, KerberosPrincipal, "must be set together"},
		{[]string{"spark.yarn.keytab=/k"}, KerberosKeytab, "must be set together"},
	}
	for _, tc := range tests {
		_, err := Load(Sources{Overrides: tc.overrides})
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, ErrInvalidValue) || e.Key != tc.key || e.Source != "--conf" ||
			!strings.Contains(err.Error(), tc.fragment) {
			t.Errorf("%v: %v (key %q), want a conflict on %s saying %q", tc.overrides, err, e.Key, tc.key, tc.fragment)
		}
	}
	for _, ok := range [][]string{
		{"gostream.master=yarn", "gostream.submit.deployMode=cluster"},
		{"gostream.kerberos.principal=me", "gostream.kerberos.keytab=/k"},
		{"gostream.network.timeout=20s", "gostream.executor.heartbeatInterval=5s"},
	} {
		if _, err := Load(Sources{Overrides: ok}); err != nil {
			t.Errorf("%v: %v", ok, err)
		}
	}
}

func TestEnvironRoundTrip(t *testing.T) {
	file := writeFile(t, "p.yaml", "gostream:\n  streaming:\n    blockInterval: 1500us\n  files: [a, b]\n")
	parent, err := Load(Sources{
		PropertiesFile: file,
		Environ:        []string{"GOSTREAM_EXECUTOR_MEMORY=3072"},
		Overrides: []string{
			"spark.master=yarn", "spark.submit.deployMode=cluster",
			"spark.yarn.queue=default", // set to its default: still explicit
			"spark.network.timeout=300", "gostream.app.name= spaced name ",
			"spark.executorEnv.TZ=Europe/Paris", "spark.yarn.appMasterEnv.X=1=2",
			"spark.streaming.fileStream.minRememberDuration=90",
			"gostream.yarn.tags=x, y",
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	env := parent.Environ()
	if !slices.IsSorted(env) {
		t.Errorf("Environ not sorted: %q", env)
	}
	for _, want := range []string{
		"GOSTREAM_STREAMING_BLOCKINTERVAL=1500us",
		"GOSTREAM_EXECUTOR_MEMORY=3g",
		"GOSTREAM_NETWORK_TIMEOUT=5min",
		"GOSTREAM_EXECUTORENV_TZ=Europe/Paris",
		"GOSTREAM_YARN_APPMASTERENV_X=1=2",
		"GOSTREAM_YARN_QUEUE=default",
	} {
		if !slices.Contains(env, want) {
			t.Errorf("Environ lacks %q: %q", want, env)
		}
	}

	// The child sees only its environment (plus unrelated variables).
	child, err := Load(Sources{NoDefaultPropertiesFile: true, Environ: append([]string{"HOME=/root"}, env...)})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(child.Environ(), env) {
		t.Errorf("child Environ %q\nparent %q", child.Environ(), env)
	}
	for _, k := range reg.keys {
		if k.prefix {
			if !equalMaps(child.StringMap(k.name), parent.StringMap(k.name)) {
				t.Errorf("%s: child %v, parent %v", k.name, child.StringMap(k.name), parent.StringMap(k.name))
			}
			continue
		}
		if child.String(k.name) != parent.String(k.name) || child.IsSet(k.name) != parent.IsSet(k.name) {
			t.Errorf("%s: child %q (set %v), parent %q (set %v)", k.name,
				child.String(k.name), child.IsSet(k.name), parent.String(k.name), parent.IsSet(k.name))
		}
	}
	if child.Duration(BlockInterval) != 1500*time.Microsecond || child.String(AppName) != " spaced name " ||
		child.Size(ExecutorMemory) != 3<<30 || !slices.Equal(child.Strings(Files), []string{"a", "b"}) {
		t.Error("typed values differ after the round trip")
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
