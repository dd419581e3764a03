package main

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/gostream/gostream/conf"
)

func TestParseArgs(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		settings []flagSetting
		confs    []string
		app      string
		appArgs  []string
		check    func(*options) bool
	}{
		{name: "app only", args: []string{"./app"}, app: "./app", appArgs: []string{}},
		{
			name: "every key flag",
			args: []string{"--master", "local[2]", "--deploy-mode", "client", "--name", "n", "--num-executors", "3",
				"--executor-memory", "2g", "--executor-cores", "2", "--driver-memory", "512m", "--driver-cores", "1",
				"--queue", "q", "--files", "a,b", "--principal", "p@R", "--keytab", "k", "./app"},
			settings: []flagSetting{
				{"--master", conf.Master, "local[2]"}, {"--deploy-mode", conf.DeployMode, "client"},
				{"--name", conf.AppName, "n"}, {"--num-executors", conf.ExecutorInstances, "3"},
				{"--executor-memory", conf.ExecutorMemory, "2g"}, {"--executor-cores", conf.ExecutorCores, "2"},
				{"--driver-memory", conf.DriverMemory, "512m"}, {"--driver-cores", conf.DriverCores, "1"},
				{"--queue", conf.YarnQueue, "q"}, {"--files", conf.Files, "a,b"},
				{"--principal", conf.KerberosPrincipal, "p@R"}, {"--keytab", conf.KerberosKeytab, "k"},
			},
			app: "./app", appArgs: []string{},
		},
		{
			name:     "equals form, repeated flag: the last wins",
			args:     []string{"--master=local", "--master=local[4]", "app"},
			settings: []flagSetting{{"--master", conf.Master, "local[4]"}},
			app:      "app", appArgs: []string{},
		},
		{
			name:     "repeated --files accumulate",
			args:     []string{"--files", "a,b", "--files=c", "app"},
			settings: []flagSetting{{"--files", conf.Files, "a,b,c"}},
			app:      "app", appArgs: []string{},
		},
		{
			name:  "--conf is repeatable and keeps commas",
			args:  []string{"--conf", "gostream.files=a,b", "--conf=spark.app.name=x", "app"},
			confs: []string{"gostream.files=a,b", "spark.app.name=x"},
			app:   "app", appArgs: []string{},
		},
		{
			name: "application arguments are untouched, flags included",
			args: []string{"-v", "./app", "--master", "yarn", "-duration", "3s", "--", "x"},
			app:  "./app", appArgs: []string{"--master", "yarn", "-duration", "3s", "--", "x"},
			check: func(o *options) bool { return o.verbose },
		},
		{
			name: "-- before an application starting with a dash",
			args: []string{"--", "-app", "a"},
			app:  "-app", appArgs: []string{"a"},
		},
		{name: "help", args: []string{"-h"}, appArgs: []string{}, check: func(o *options) bool { return o.help }},
		{name: "help-conf", args: []string{"--help-conf"}, appArgs: []string{}, check: func(o *options) bool { return o.helpConf }},
		{name: "version", args: []string{"--version"}, appArgs: []string{}, check: func(o *options) bool { return o.version }},
		{
			name: "properties file",
			args: []string{"--properties-file", "p.yaml", "app"}, app: "app", appArgs: []string{},
			check: func(o *options) bool { return o.propertiesFile == "p.yaml" },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseArgs(tt.args)
			if err != nil {
				t.Fatalf("parseArgs(%q): %v", tt.args, err)
			}
			if !slices.Equal(o.settings, tt.settings) {
				t.Errorf("settings = %v, want %v", o.settings, tt.settings)
			}
			if !slices.Equal(o.confs, tt.confs) {
				t.Errorf("confs = %q, want %q", o.confs, tt.confs)
			}
			if o.app != tt.app || !slices.Equal(o.appArgs, tt.appArgs) {
				t.Errorf("app %q %q, want %q %q", o.app, o.appArgs, tt.app, tt.appArgs)
			}
			if tt.check != nil && !tt.check(o) {
				t.Errorf("options %+v: check failed", o)
			}
		})
	}
}

func TestParseArgsErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--bogus", "app"}, "unknown flag: --bogus"},
		{[]string{"--master"}, "flag needs an argument: --master"},
		{[]string{"--class", "org.Foo", "app.jar"}, "--class is a spark-submit flag gostream-submit does not have: a gostream application is a Go binary"},
		{[]string{"--supervise", "app"}, "--supervise is a spark-submit flag"},
		{[]string{"--jars", "a.jar", "app"}, "not JVM jars"},
		{[]string{"--verbose=maybe", "app"}, "invalid argument"},
	}
	for _, tt := range tests {
		_, err := parseArgs(tt.args)
		if err == nil || !errors.Is(err, errUsage) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseArgs(%q) = %v, want a usage error containing %q", tt.args, err, tt.want)
		}
	}
}

func TestUsageMentionsEveryFlagAndKey(t *testing.T) {
	var b strings.Builder
	writeUsage(&b)
	usage := b.String()
	for _, f := range keyFlags {
		for _, s := range []string{"--" + f.name, f.key} {
			if !strings.Contains(usage, s) {
				t.Errorf("usage does not mention %s", s)
			}
		}
	}
	for _, s := range []string{"--conf", "--properties-file", "--verbose", "--help-conf", "--version", "Exit status", "128+S"} {
		if !strings.Contains(usage, s) {
			t.Errorf("usage does not mention %s", s)
		}
	}
	for _, f := range sparkOnlyFlags {
		if strings.Contains(usage, "--"+f.name+" ") {
			t.Errorf("usage shows the hidden flag --%s", f.name)
		}
	}
}
