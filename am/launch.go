package am

import (
	"fmt"
	"maps"

	"github.com/gostream/gostream/container"
	"github.com/gostream/gostream/engine"
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
}

// LaunchContext is the AM container's launch context.
func (s Spec) LaunchContext() (yarn.ContainerLaunchContext, error) {
	if _, ok := s.Resources[s.App]; !ok {
		return yarn.ContainerLaunchContext{}, fmt.Errorf("application master launch context: the application binary %q is not among the local resources", s.App)
	}
	res, err := encodeResources(s.Resources)
	if err != nil {
		return yarn.ContainerLaunchContext{}, fmt.Errorf("application master launch context: %w", err)
	}
	env := maps.Clone(s.Env)
	if env == nil {
		env = map[string]string{}
	}
	env[engine.RoleEnv] = engine.RoleAM
	env[EnvApp] = s.App
	env[EnvResources] = res
	env[EnvStagingDir] = s.StagingDir
	// The Hadoop site files ship as local resources in the working
	// directory; the NodeManager's launch script expands $PWD.
	env["HADOOP_CONF_DIR"] = "$PWD"
	return yarn.ContainerLaunchContext{
		LocalResources: maps.Clone(s.Resources),
		Environment:    env,
		Commands:       []string{container.Command(s.App, s.Args)},
	}, nil
}
