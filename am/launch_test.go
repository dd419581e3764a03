package am

import (
	"strings"
	"testing"

	"github.com/gostream/gostream/internal/hadoop/token"
	"github.com/gostream/gostream/internal/procenv"
	"github.com/gostream/gostream/internal/yarn"
)

func TestExecutorLaunchContext(t *testing.T) {
	s := executorSpec{
		App: "app", Args: []string{"-in", "hdfs://nn/x y"},
		Resources:     map[string]yarn.LocalResource{"app": {URL: "hdfs://nn:8020/s/app", Size: 10, Timestamp: 1}},
		Env:           map[string]string{"GOSTREAM_X": "1"},
		DriverAddress: "h:5", Secret: "sec", Cores: 2,
	}
	lc, err := s.launchContext("4")
	if err != nil {
		t.Fatal(err)
	}
	want := "./app -in 'hdfs://nn/x y' 1><LOG_DIR>/stdout 2><LOG_DIR>/stderr"
	if lc.Commands[0] != want {
		t.Errorf("command %q, want %q", lc.Commands[0], want)
	}
	for k, v := range map[string]string{"GOSTREAM_ROLE": "executor", procenv.ExecutorID: "4", "GOSTREAM_X": "1", procenv.ExecutorCores: "2"} {
		if lc.Environment[k] != v {
			t.Errorf("%s=%q, want %q", k, lc.Environment[k], v)
		}
	}
	for k, v := range lc.Environment {
		if strings.Contains(v, "sec") {
			t.Errorf("the secret is in the environment (%s), which the NodeManager writes into launch_container.sh", k)
		}
	}
	creds, err := token.Parse(lc.Tokens)
	if err != nil {
		t.Fatal(err)
	}
	if key, _ := creds.SecretByAlias(secretAlias); string(key) != "sec" {
		t.Errorf("the executor's credentials hold secret %q, want %q", key, "sec")
	}
	if _, ok := s.Env[procenv.ExecutorID]; ok {
		t.Error("the spec's environment was modified")
	}
	s.App = "missing"
	if _, err := s.launchContext("1"); err == nil {
		t.Error("no error for a missing binary")
	}
}

func TestAMLaunchContext(t *testing.T) {
	s := Spec{
		App: "my app", Args: []string{"--x"}, StagingDir: "hdfs://nn:8020/user/u/.gostreamStaging/" + app.String(),
		Resources: map[string]yarn.LocalResource{"my app": {URL: "hdfs://nn:8020/s/app", Size: 10, Timestamp: 1}},
		Env:       map[string]string{"GOSTREAM_X": "1"},
	}
	lc, err := s.LaunchContext()
	if err != nil {
		t.Fatal(err)
	}
	if want := "./'my app' --x 1><LOG_DIR>/stdout 2><LOG_DIR>/stderr"; lc.Commands[0] != want {
		t.Errorf("command %q, want %q", lc.Commands[0], want)
	}
	if lc.Environment["GOSTREAM_ROLE"] != "am" || lc.Environment["GOSTREAM_X"] != "1" || lc.Environment["HADOOP_CONF_DIR"] != "$PWD" {
		t.Errorf("environment %v", lc.Environment)
	}
	if len(s.Env) != 1 {
		t.Error("the spec's environment was modified")
	}
	// What the launch context sets, ReadEnv reads back in the container.
	env := map[string]string{"CONTAINER_ID": cid(1, 1).String(), "NM_HOST": "localhost"}
	for k, v := range lc.Environment {
		env[k] = v
	}
	e, err := ReadEnv(func(k string) string { return env[k] })
	if err != nil || e.App != "my app" || e.StagingDir != s.StagingDir || e.Resources["my app"] != s.Resources["my app"] {
		t.Fatalf("%+v %v", e, err)
	}
	s.App = "missing"
	if _, err := s.LaunchContext(); err == nil {
		t.Error("no error for a missing binary")
	}
}
