package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gostream/gostream/conf"
)

// writeFile writes a file under dir and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestResolveConfPrecedence(t *testing.T) {
	dir := t.TempDir()
	props := writeFile(t, dir, "p.yaml", "gostream.master: local[1]\ngostream.app.name: from-file\ngostream.yarn.queue: file-queue\n")
	clusterProps := writeFile(t, dir, "cluster.yaml", "gostream.submit.deployMode: cluster\n")
	sparkProps := writeFile(t, dir, "spark-defaults.conf",
		"# Spark's format\nspark.master local[1]\nspark.app.name=from-spark-file\nspark.yarn.queue: spark-queue\nspark.executor.memory   2g\n")

	tests := []struct {
		name    string
		args    []string
		environ []string
		want    map[string]string // key → String value
	}{
		{
			name: "built-in defaults",
			args: []string{"app"},
			want: map[string]string{conf.Master: "local[*]", conf.AppName: "gostream", conf.ExecutorInstances: "2"},
		},
		{
			name: "properties file over defaults",
			args: []string{"--properties-file", props, "app"},
			want: map[string]string{conf.Master: "local[1]", conf.AppName: "from-file", conf.YarnQueue: "file-queue"},
		},
		{
			name:    "environment over properties file",
			args:    []string{"--properties-file", props, "app"},
			environ: []string{"GOSTREAM_MASTER=local[3]", "UNRELATED=1", "GOSTREAM_ROLE=driver"},
			want:    map[string]string{conf.Master: "local[3]", conf.AppName: "from-file"},
		},
		{
			name:    "--conf over environment",
			args:    []string{"--properties-file", props, "--conf", "gostream.master=local[5]", "app"},
			environ: []string{"GOSTREAM_MASTER=local[3]"},
			want:    map[string]string{conf.Master: "local[5]"},
		},
		{
			name:    "flags over --conf, whatever the order and the spelling",
			args:    []string{"--master", "local[6]", "--conf", "spark.master=local[5]", "--conf", "gostream.app.name=c", "--name", "flag", "app"},
			environ: []string{"GOSTREAM_MASTER=local[3]"},
			want:    map[string]string{conf.Master: "local[6]", conf.AppName: "flag"},
		},
		{
			name: "--conf over the flags' keys when the flag is not given",
			args: []string{"--conf", "spark.executor.instances=7", "--queue", "q", "app"},
			want: map[string]string{conf.ExecutorInstances: "7", conf.YarnQueue: "q"},
		},
		{
			name: "every key flag",
			args: []string{"--master", "local[2]", "--num-executors", "4", "--executor-memory", "2048", "--executor-cores", "3",
				"--driver-memory", "1536m", "--driver-cores", "2", "--queue", "prod", "--files", "a.txt", "--files", "hdfs://nn/b.txt",
				"--principal", "me@REALM", "--keytab", "me.keytab", "app"},
			want: map[string]string{conf.Master: "local[2]", conf.ExecutorInstances: "4", conf.ExecutorMemory: "2g",
				conf.ExecutorCores: "3", conf.DriverMemory: "1536m", conf.DriverCores: "2", conf.YarnQueue: "prod",
				conf.Files: "a.txt,hdfs://nn/b.txt", conf.KerberosPrincipal: "me@REALM", conf.KerberosKeytab: "me.keytab"},
		},
		{
			name: "Spark's spark-defaults.conf as the properties file",
			args: []string{"--properties-file", sparkProps, "app"},
			want: map[string]string{conf.Master: "local[1]", conf.AppName: "from-spark-file", conf.YarnQueue: "spark-queue", conf.ExecutorMemory: "2g"},
		},
		{
			name: "a flag settles a conflict between lower layers",
			args: []string{"--properties-file", clusterProps, "--master", "yarn", "app"},
			want: map[string]string{conf.Master: "yarn", conf.DeployMode: "cluster"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseArgs(tt.args)
			if err != nil {
				t.Fatal(err)
			}
			c, err := resolveConf(o, tt.environ, nil)
			if err != nil {
				t.Fatalf("resolveConf: %v", err)
			}
			for k, want := range tt.want {
				if got := c.String(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
		})
	}
}

func TestResolveConfTypedValues(t *testing.T) {
	o, err := parseArgs([]string{"--num-executors", "4", "--executor-memory", "2g", "--master", "local[3]", "app"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := resolveConf(o, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Int(conf.ExecutorInstances) != 4 || c.Size(conf.ExecutorMemory) != 2<<30 || c.Master().LocalSlots != 3 {
		t.Errorf("instances %d, memory %d, slots %d", c.Int(conf.ExecutorInstances), c.Size(conf.ExecutorMemory), c.Master().LocalSlots)
	}
}

func TestDefaultPropertiesFile(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, conf.DefaultPropertiesFile, "gostream.master: local[7]\n")
	t.Chdir(dir)
	o, _ := parseArgs([]string{"app"})
	c, err := resolveConf(o, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.String(conf.Master) != "local[7]" {
		t.Errorf("master %s: %s was not read", c.String(conf.Master), conf.DefaultPropertiesFile)
	}
	if got := propertiesFileUsed(o); got != conf.DefaultPropertiesFile {
		t.Errorf("propertiesFileUsed = %q", got)
	}
	// An explicit file replaces the default one.
	other := writeFile(t, dir, "other.yaml", "gostream.app.name: other\n")
	o, _ = parseArgs([]string{"--properties-file", other, "app"})
	if c, err = resolveConf(o, nil, nil); err != nil {
		t.Fatal(err)
	}
	if c.String(conf.Master) != "local[*]" || c.String(conf.AppName) != "other" {
		t.Errorf("master %s, name %s: want the explicit file only", c.String(conf.Master), c.String(conf.AppName))
	}
}

func TestResolveConfErrors(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.yaml", "gostream.app.name: ok\ngostream.executor.cores: many\n")
	cluster := writeFile(t, dir, "cluster.yaml", "gostream.submit.deployMode: cluster\n")
	sparkBad := writeFile(t, dir, "spark-defaults.conf", "spark.master yarn\n\nspark.executor.instance 4\n")
	tests := []struct {
		name    string
		args    []string
		environ []string
		want    []string // every one must appear in the error
		class   error
	}{
		{name: "bad flag value names the flag", args: []string{"--num-executors", "abc", "app"},
			want: []string{`--num-executors: invalid value "abc" for gostream.executor.instances`}, class: conf.ErrInvalidValue},
		{name: "every bad flag is reported", args: []string{"--master", "local[0]", "--executor-memory", "lots", "app"},
			want: []string{"--master: invalid value", "--executor-memory: invalid value"}},
		{name: "empty name", args: []string{"--name", "", "app"}, want: []string{"--name: invalid value"}},
		{name: "bad --conf", args: []string{"--conf", "gostream.master=mesos://x", "app"},
			want: []string{`--conf: invalid value "mesos://x" for gostream.master`}},
		{name: "--conf without =", args: []string{"--conf", "gostream.master", "app"}, want: []string{"expected key=value"}},
		{name: "unknown --conf key with a suggestion", args: []string{"--conf", "gostream.mastr=local", "app"},
			want: []string{`unknown configuration key "gostream.mastr"`, "gostream.master"}, class: conf.ErrUnknownKey},
		{name: "unsupported Spark key", args: []string{"--conf", "spark.sql.shuffle.partitions=4", "app"},
			want: []string{"not supported by gostream"}, class: conf.ErrUnsupportedKey},
		{name: "bad environment variable", args: []string{"app"}, environ: []string{"GOSTREAM_EXECUTOR_CORES=-1"},
			want: []string{"environment variable GOSTREAM_EXECUTOR_CORES"}},
		{name: "bad properties file line", args: []string{"--properties-file", bad, "app"},
			want: []string{bad + ":2", "gostream.executor.cores"}},
		{name: "unknown key in Spark's format names the file and line", args: []string{"--properties-file", sparkBad, "app"},
			want:  []string{sparkBad + `:3: unknown configuration key "spark.executor.instance" (did you mean "spark.executor.instances"?)`},
			class: conf.ErrUnknownKey},
		{name: "missing properties file", args: []string{"--properties-file", filepath.Join(dir, "none.yaml"), "app"},
			want: []string{"--properties-file", "none.yaml", "no such file"}},
		{name: "conflict caused by a flag names the flag", args: []string{"--master", "local[2]", "--deploy-mode", "cluster", "app"},
			want: []string{"--deploy-mode: invalid value \"cluster\"", "needs gostream.master=yarn"}},
		{name: "conflict caused by the file names the file", args: []string{"--properties-file", cluster, "--master", "local[2]", "app"},
			want: []string{cluster + ":1", "needs gostream.master=yarn (it is local[2])"}},
		{name: "principal without keytab", args: []string{"--principal", "me@R", "app"},
			want: []string{"gostream.kerberos.principal and gostream.kerberos.keytab must be set together"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseArgs(tt.args)
			if err != nil {
				t.Fatal(err)
			}
			_, err = resolveConf(o, tt.environ, nil)
			if err == nil {
				t.Fatal("resolveConf succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if tt.class != nil && !errors.Is(err, tt.class) {
				t.Errorf("error %v is not %v", err, tt.class)
			}
		})
	}
}

func TestDefaultAppName(t *testing.T) {
	for app, want := range map[string]string{"./bin/myapp": "myapp", "examples/wordcount/": "wordcount", "x.exe": "x", "/": "gostream"} {
		c := conf.Defaults()
		defaultAppName(c, app)
		if got := c.String(conf.AppName); got != want {
			t.Errorf("defaultAppName(%q) = %q, want %q", app, got, want)
		}
	}
	c := conf.Defaults()
	_ = c.Set(conf.AppName, "mine")
	defaultAppName(c, "./other")
	if c.String(conf.AppName) != "mine" {
		t.Errorf("a set name was replaced: %s", c.String(conf.AppName))
	}
}

func TestCheckFiles(t *testing.T) {
	dir := t.TempDir()
	f := writeFile(t, dir, "lookup.txt", "x")
	c := conf.Defaults()
	_ = c.Set(conf.Files, f+",file://"+f+",hdfs://nn/x.txt")
	if err := checkFiles(c); err != nil {
		t.Errorf("checkFiles: %v", err)
	}
	_ = c.Set(conf.Files, filepath.Join(dir, "missing.txt")+","+dir)
	err := checkFiles(c)
	if err == nil || !strings.Contains(err.Error(), "missing.txt") || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("checkFiles = %v, want both problems", err)
	}
}
