package am

import (
	"fmt"

	"github.com/gostream/gostream/internal/hadoop/token"
)

// The application secret, which executors prove to the driver, reaches
// containers in their credentials, never in their environment: the
// NodeManager writes a container's environment into launch_container.sh,
// which it keeps in the container's log directory (and log aggregation
// copies into HDFS), while it writes the credentials to a private file
// (HADOOP_TOKEN_FILE_LOCATION).

// secretAlias is the secret key's alias in a container's credentials.
const secretAlias = "gostream.application.secret"

// secretCredentials are credentials holding only the application secret,
// for a container launch context.
func secretCredentials(secret string) ([]byte, error) {
	var c token.Credentials
	c.AddSecret(secretAlias, []byte(secret))
	return c.Marshal(token.Format0)
}

// ContainerSecret is the application secret from the credentials of the
// YARN container whose environment getenv reads: an executor's, or a
// client-mode AM's.
func ContainerSecret(getenv func(string) string) (string, error) {
	c, err := token.ReadFromEnv(getenv)
	if err != nil {
		return "", fmt.Errorf("the application secret: %w", err)
	}
	s, ok := c.SecretByAlias(secretAlias)
	if !ok || len(s) == 0 {
		return "", fmt.Errorf("the application secret: no %q among the container's credentials (containers are started by gostream-submit and the application master, not by hand)", secretAlias)
	}
	return string(s), nil
}
