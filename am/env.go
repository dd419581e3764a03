package am

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gostream/gostream/internal/procenv"
	"github.com/gostream/gostream/internal/yarn"
)

// Env is what the NodeManager and gostream-submit tell the AM through its
// environment.
type Env struct {
	ContainerID    yarn.ContainerID
	Attempt        int // 1, 2, …
	NMHost         string
	NMPort         int
	LogDirs        []string
	MaxAppAttempts int // 0: not set
	SubmitTime     time.Time
	StagingDir     string
	App            string
	Resources      map[string]yarn.LocalResource
}

// ReadEnv reads the AM's environment.
func ReadEnv(getenv func(string) string) (*Env, error) {
	var errs []string
	e := &Env{NMHost: getenv("NM_HOST"), StagingDir: getenv(procenv.StagingDir), App: getenv(procenv.App)}
	if s := getenv("CONTAINER_ID"); s == "" {
		errs = append(errs, "CONTAINER_ID is not set")
	} else if id, err := yarn.ParseContainerID(s); err != nil {
		errs = append(errs, err.Error())
	} else {
		e.ContainerID, e.Attempt = id, int(id.Attempt.Attempt)
	}
	if e.NMHost == "" {
		errs = append(errs, "NM_HOST is not set")
	}
	if s := getenv("NM_PORT"); s != "" {
		e.NMPort, _ = strconv.Atoi(s)
	}
	if s := getenv("LOG_DIRS"); s != "" {
		e.LogDirs = strings.Split(s, ",")
	}
	if s := getenv("MAX_APP_ATTEMPTS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			errs = append(errs, fmt.Sprintf("MAX_APP_ATTEMPTS=%q is not a positive number", s))
		}
		e.MaxAppAttempts = n
	}
	if s := getenv("APP_SUBMIT_TIME_ENV"); s != "" {
		if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
			e.SubmitTime = time.UnixMilli(ms)
		}
	}
	if e.App == "" {
		errs = append(errs, procenv.App+" is not set")
	}
	if s := getenv(procenv.Resources); s == "" {
		errs = append(errs, procenv.Resources+" is not set")
	} else if err := decodeResources(s, &e.Resources); err != nil {
		errs = append(errs, fmt.Sprintf("%s: %v", procenv.Resources, err))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("application master environment: %s (the AM is started by YARN from gostream-submit --master yarn --deploy-mode cluster, not by hand)", strings.Join(errs, "; "))
	}
	return e, nil
}

// encodeResources is the procenv.Resources value of res.
func encodeResources(res map[string]yarn.LocalResource) (string, error) {
	b, err := json.Marshal(res)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

func decodeResources(s string, res *map[string]yarn.LocalResource) error {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, res)
}
