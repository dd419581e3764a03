package ipc

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/gostream/gostream/internal/hadoop/hadooppb"
)

// RemoteError is an exception the server reported for a call (status ERROR)
// or for the connection (status FATAL).
type RemoteError struct {
	// Class is the Java exception class, e.g.
	// org.apache.hadoop.yarn.exceptions.ApplicationNotFoundException.
	Class string
	// Message is the server's message (Hadoop often appends a stack trace).
	Message string
	// Code is the RpcErrorCodeProto value, 0 when the server sent none.
	Code hadooppb.RpcResponseHeaderProto_RpcErrorCodeProto
	// Fatal is true when the server closed the connection (status FATAL).
	Fatal bool
	// Method is the call that failed ("" for connection-level errors).
	Method string
}

func (e *RemoteError) Error() string {
	msg := e.Message
	if i := strings.Index(msg, "\n\tat "); i >= 0 { // drop the Java stack trace
		msg = msg[:i]
	}
	msg = strings.TrimSpace(msg)
	prefix := "remote exception"
	if e.Method != "" {
		prefix = e.Method
	}
	if msg == "" {
		return fmt.Sprintf("%s: %s", prefix, e.Class)
	}
	return fmt.Sprintf("%s: %s: %s", prefix, e.ShortClass(), msg)
}

// ShortClass is the class name without its package.
func (e *RemoteError) ShortClass() string {
	if i := strings.LastIndexByte(e.Class, '.'); i >= 0 {
		return e.Class[i+1:]
	}
	return e.Class
}

// Is matches class sentinels made by NewClassError (same Java class), and
// fs.ErrPermission for access-control exceptions.
func (e *RemoteError) Is(target error) bool {
	switch t := target.(type) {
	case *classError:
		return e.Class == t.class
	}
	if target == fs.ErrPermission {
		return e.Class == classAccessControl || e.Class == classAuthorization
	}
	return false
}

// classError is a sentinel matching every RemoteError of one Java class.
type classError struct{ class string }

func (c *classError) Error() string { return "remote " + c.class }

// NewClassError returns a sentinel error that errors.Is matches against any
// *RemoteError whose Class is class.
func NewClassError(class string) error { return &classError{class: class} }

const (
	classAccessControl = "org.apache.hadoop.security.AccessControlException"
	classAuthorization = "org.apache.hadoop.security.authorize.AuthorizationException"
)

// Sentinels for common Hadoop exception classes (use with errors.Is).
var (
	ErrAccessControl  = NewClassError(classAccessControl)
	ErrAuthorization  = NewClassError(classAuthorization)
	ErrStandby        = NewClassError("org.apache.hadoop.ipc.StandbyException")
	ErrRetriable      = NewClassError("org.apache.hadoop.ipc.RetriableException")
	ErrServerTooBusy  = NewClassError("org.apache.hadoop.ipc.ServerTooBusyException")
	ErrNoSuchMethod   = NewClassError("org.apache.hadoop.ipc.RpcNoSuchMethodException")
	ErrNoSuchProtocol = NewClassError("org.apache.hadoop.ipc.RpcNoSuchProtocolException")
	ErrInvalidToken   = NewClassError("org.apache.hadoop.security.token.SecretManager$InvalidToken")
)

// ConnError is a failure of the connection itself (dial, handshake, I/O):
// the call may or may not have reached the server.
type ConnError struct {
	Addr string
	Op   string // "dial", "handshake", "write", "read"
	Err  error
}

func (e *ConnError) Error() string {
	return fmt.Sprintf("hadoop rpc %s %s: %v", e.Op, e.Addr, e.Err)
}

func (e *ConnError) Unwrap() error { return e.Err }

// ErrClosed is returned by calls on a closed Client.
var ErrClosed = errors.New("hadoop rpc client closed")

// IsConnError reports whether err is a connection failure.
func IsConnError(err error) bool {
	var ce *ConnError
	return errors.As(err, &ce)
}
