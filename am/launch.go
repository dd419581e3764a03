package am

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/internal/hadoop/security"
	"github.com/gostream/gostream/internal/hadoopconf"
	"github.com/gostream/gostream/internal/procenv"
	"github.com/gostream/gostream/internal/yarn"
)

// Spec is what the AM container runs: gostream-submit makes it, ReadEnv reads
// it back inside the container.
type Spec struct {
	// App is the link name of the application binary among Resources.
	App  string
	Args []string
	// Resources are the local resources of the AM and of every executor:
	// the binary, --files and the Hadoop site files.
	Resources map[string]yarn.LocalResource
	// Env is the AM's environment besides gostream's own variables: the
	// resolved configuration (conf.Environ), HADOOP_USER_NAME,
	// gostream.yarn.appMasterEnv.*.
	Env map[string]string
	// StagingDir is the application's staging directory (an hdfs:// URL),
	// removed when the application ends for good.
	StagingDir string
	// Secret is the client-mode driver's application secret (secret.go);
	// empty in cluster mode, where the AM makes one.
	Secret string
}

// LaunchContext is the AM container's launch context.
func (s Spec) LaunchContext() (yarn.ContainerLaunchContext, error) {
	res, err := encodeResources(s.Resources)
	if err != nil {
		return yarn.ContainerLaunchContext{}, fmt.Errorf("application master launch context: %w", err)
	}
	lc, err := binaryLaunchContext(s.App, s.Args, s.Resources, s.Env, map[string]string{
		procenv.Role:       procenv.RoleAM,
		procenv.App:        s.App,
		procenv.Resources:  res,
		procenv.StagingDir: s.StagingDir,
		// The Hadoop site files ship as local resources in the working
		// directory; the NodeManager's launch script expands $PWD.
		hadoopconf.EnvConfDir: "$PWD",
	})
	if err != nil {
		return yarn.ContainerLaunchContext{}, fmt.Errorf("application master launch context: %w", err)
	}
	if s.Secret != "" {
		if lc.Tokens, err = secretCredentials(s.Secret); err != nil {
			return yarn.ContainerLaunchContext{}, fmt.Errorf("application master launch context: %w", err)
		}
	}
	return lc, nil
}

// executorSpec is what an executor container runs.
type executorSpec struct {
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

// launchContext is the launch context of executor id: the variables
// container.ExecutorConfigFromEnv reads tell it its driver, its credentials
// hold the secret (ContainerSecret).
func (s executorSpec) launchContext(id string) (yarn.ContainerLaunchContext, error) {
	if s.DriverAddress == "" || s.Secret == "" {
		return yarn.ContainerLaunchContext{}, fmt.Errorf("executor launch context: no driver address or secret")
	}
	lc, err := binaryLaunchContext(s.App, s.Args, s.Resources, s.Env, map[string]string{
		procenv.Role:          procenv.RoleExecutor,
		procenv.DriverAddress: s.DriverAddress,
		procenv.ExecutorID:    id,
		procenv.ExecutorCores: fmt.Sprint(max(s.Cores, 1)),
	})
	if err == nil {
		lc.Tokens, err = secretCredentials(s.Secret)
	}
	if err != nil {
		return yarn.ContainerLaunchContext{}, fmt.Errorf("executor launch context: %w", err)
	}
	return lc, nil
}

// binaryLaunchContext is the launch context of a container running the
// application binary app (one of resources) with args, in environment env
// with gostream's variables set over it. Every role runs the same binary:
// only the variables differ.
func binaryLaunchContext(app string, args []string, resources map[string]yarn.LocalResource, env, set map[string]string) (yarn.ContainerLaunchContext, error) {
	if _, ok := resources[app]; !ok {
		return yarn.ContainerLaunchContext{}, fmt.Errorf("the application binary %q is not among the local resources %v", app, slices.Sorted(maps.Keys(resources)))
	}
	all := maps.Clone(env)
	if all == nil {
		all = map[string]string{}
	}
	maps.Copy(all, set)
	return yarn.ContainerLaunchContext{
		LocalResources: maps.Clone(resources),
		Environment:    all,
		Commands:       []string{command(app, args)},
	}, nil
}

// logRedirect is the end of a YARN container command: stdout and stderr in
// the container's log directory (YARN expands <LOG_DIR>).
const logRedirect = "1><LOG_DIR>/stdout 2><LOG_DIR>/stderr"

// command is the shell command running the application binary (a local
// resource linked as app in the working directory) with args, its output in
// the container's log directory.
func command(app string, args []string) string {
	parts := []string{"./" + shellQuote(app)}
	for _, a := range args {
		parts = append(parts, shellQuote(a))
	}
	return strings.Join(parts, " ") + " " + logRedirect
}

// shellQuote quotes s for a POSIX shell when needed. YARN passes a
// container's command to bash, expanding nothing itself but <LOG_DIR>,
// <CPS> and {{…}}.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_@%+=:,./-", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// executorEnv is the environment every executor gets: the configuration,
// gostream.executorEnv.*, and the Hadoop user and configuration.
func executorEnv(c *conf.Conf, getenv func(string) string) map[string]string {
	env := map[string]string{}
	for _, kv := range c.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	for k, v := range c.StringMap(conf.ExecutorEnv) {
		env[k] = v
	}
	if v := getenv(security.EnvUser); v != "" {
		env[security.EnvUser] = v
	}
	env[hadoopconf.EnvConfDir] = "$PWD" // the Hadoop site files ship as local resources
	return env
}
