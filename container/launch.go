package container

import (
	"fmt"
	"maps"
	"sort"
	"strings"

	"github.com/gostream/gostream/internal/yarn"
)

// Environment variables of gostream's YARN containers.
const (
	// EnvDriverAddress is the driver's executor endpoint (host:port).
	EnvDriverAddress = "GOSTREAM_DRIVER_ADDRESS"
	// EnvExecutorSecret is the per-application secret executors prove.
	EnvExecutorSecret = "GOSTREAM_EXECUTOR_SECRET"
	// EnvExecutorID is the executor's id (1, 2, …; replacements get new ids).
	EnvExecutorID = "GOSTREAM_EXECUTOR_ID"
	// EnvExecutorCores is the executor's number of cores.
	EnvExecutorCores = "GOSTREAM_EXECUTOR_CORES"
)

// LogRedirect is the end of a YARN container command: stdout and stderr in
// the container's log directory (YARN expands <LOG_DIR>).
const LogRedirect = "1><LOG_DIR>/stdout 2><LOG_DIR>/stderr"

// Command is the shell command running the application binary (a local
// resource linked as app in the working directory) with args, its output in
// the container's log directory.
func Command(app string, args []string) string {
	parts := []string{"./" + ShellQuote(app)}
	for _, a := range args {
		parts = append(parts, ShellQuote(a))
	}
	return strings.Join(parts, " ") + " " + LogRedirect
}

// ShellQuote quotes s for a POSIX shell when needed. YARN passes a
// container's command to bash, expanding nothing itself but <LOG_DIR>,
// <CPS> and {{…}}.
func ShellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_@%+=:,./-", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ExecutorSpec is what an executor container runs.
type ExecutorSpec struct {
	// App is the link name of the application binary among Resources.
	App  string
	Args []string
	// Resources are the local resources (the binary and --files), as
	// uploaded to the staging directory.
	Resources map[string]yarn.LocalResource
	// Env is the environment every executor gets: the resolved
	// configuration (conf.Environ), HADOOP_USER_NAME, user variables.
	Env           map[string]string
	DriverAddress string
	Secret        string
	Cores         int
}

// LaunchContext is the launch context of executor id.
func (s ExecutorSpec) LaunchContext(id string) (yarn.ContainerLaunchContext, error) {
	if _, ok := s.Resources[s.App]; !ok {
		return yarn.ContainerLaunchContext{}, fmt.Errorf("executor launch context: the application binary %q is not among the local resources %v", s.App, sortedNames(s.Resources))
	}
	if s.DriverAddress == "" || s.Secret == "" {
		return yarn.ContainerLaunchContext{}, fmt.Errorf("executor launch context: no driver address or secret")
	}
	env := maps.Clone(s.Env)
	if env == nil {
		env = map[string]string{}
	}
	env["GOSTREAM_ROLE"] = "executor"
	env[EnvDriverAddress] = s.DriverAddress
	env[EnvExecutorSecret] = s.Secret
	env[EnvExecutorID] = id
	env[EnvExecutorCores] = fmt.Sprint(max(s.Cores, 1))
	return yarn.ContainerLaunchContext{
		LocalResources: maps.Clone(s.Resources),
		Environment:    env,
		Commands:       []string{Command(s.App, s.Args)},
	}, nil
}

func sortedNames(m map[string]yarn.LocalResource) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
