package client

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/gostream/gostream/internal/hadoop/ipc"
	"github.com/gostream/gostream/internal/yarn"
)

// YARN exception classes gostream tells apart.
const (
	classApplicationNotFound = "org.apache.hadoop.yarn.exceptions.ApplicationNotFoundException"
	classInvalidResource     = "org.apache.hadoop.yarn.exceptions.InvalidResourceRequestException"
	classAttemptNotFound     = "org.apache.hadoop.yarn.exceptions.ApplicationAttemptNotFoundException"
)

// Sentinels for errors.Is.
var (
	// ErrApplicationNotFound: the RM does not know the application (it never
	// existed, or the RM forgot it: finished applications are kept only up
	// to yarn.resourcemanager.max-completed-applications).
	ErrApplicationNotFound = ipc.NewClassError(classApplicationNotFound)
	// ErrInvalidResourceRequest: the AM resource asked for is beyond the
	// scheduler's maximum allocation (or otherwise invalid).
	ErrInvalidResourceRequest = ipc.NewClassError(classInvalidResource)
	// ErrApplicationAttemptNotFound: the RM does not know the attempt.
	ErrApplicationAttemptNotFound = ipc.NewClassError(classAttemptNotFound)
	// ErrAccessControl: the user may not do this (queue ACLs, or a secure
	// cluster the client cannot authenticate to).
	ErrAccessControl = ipc.ErrAccessControl
	// ErrInvalidSubmission: the submission context is incomplete or wrong
	// (found before anything is sent).
	ErrInvalidSubmission = errors.New("invalid YARN submission")
)

// Error records a failed operation, like os.PathError.
type Error struct {
	Op  string             // "new application", "submit", "application report", ...
	App yarn.ApplicationID // zero when the operation concerns no application
	Err error
}

func (e *Error) Error() string {
	if e.App.IsZero() {
		return fmt.Sprintf("yarn %s: %v", e.Op, e.Err)
	}
	return fmt.Sprintf("yarn %s %s: %v", e.Op, e.App, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Is maps YARN's not-found exception to fs.ErrNotExist.
func (e *Error) Is(target error) bool {
	return target == fs.ErrNotExist && errors.Is(e.Err, ErrApplicationNotFound)
}

func opErr(op string, app yarn.ApplicationID, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Op: op, App: app, Err: err}
}
