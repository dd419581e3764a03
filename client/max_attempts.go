package client

import (
	"fmt"

	"github.com/gostream/gostream/internal/hadoopconf"
)

// CheckMaxAttempts returns the number of attempts the RM will actually
// allow for a requested maxAppAttempts, given yarn.resourcemanager.am.max-attempts
// in conf, and a warning for the user when the request is capped ("" when
// not). requested ≤ 0 means "the RM's value".
func CheckMaxAttempts(conf *hadoopconf.Conf, requested int) (effective int, warning string, err error) {
	effective, err = conf.EffectiveMaxAttempts(requested)
	if err != nil {
		return 0, "", err
	}
	if requested > effective {
		return effective, fmt.Sprintf("maxAppAttempts %d exceeds the ResourceManager's %s=%d (from %s): "+
			"YARN will make at most %d attempts; raise %s on the ResourceManager to allow more",
			requested, hadoopconf.KeyAMMaxAttempts, effective, conf.Describe(), effective, hadoopconf.KeyAMMaxAttempts), nil
	}
	return effective, "", nil
}
