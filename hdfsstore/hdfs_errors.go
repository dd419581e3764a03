package hdfsstore

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/colinmarc/hdfs/v2"

	"github.com/gostream/gostream/internal/hadoopconf"
)

// ErrSafeMode reports that the NameNode is in safe mode: it is starting up,
// or too few DataNodes have reported their blocks. Nothing can be written
// until it leaves; reads may work. Retry later, or check the DataNodes.
var ErrSafeMode = errors.New("the HDFS NameNode is in safe mode (starting up, or too few DataNodes reported); retry later or check the DataNodes")

// ErrUnavailable reports that HDFS could not be reached or could not serve the
// call: no NameNode answered, none is active, or no DataNode could take the
// data. It is transient from the cluster's point of view: retrying later may
// succeed.
var ErrUnavailable = errors.New("HDFS unavailable")

// ErrConfig reports a Hadoop configuration that cannot be used: a missing
// HADOOP_CONF_DIR, a file system URI without a NameNode, Kerberos (not
// supported by the HDFS FS yet). It is hadoopconf's ErrConfig, so one
// errors.Is matches every bad-configuration error, whichever package found it.
var ErrConfig = hadoopconf.ErrConfig

// hdfsError is an error from the HDFS client, classified: errors.Is finds
// both the class (fs.ErrNotExist, ErrSafeMode, ...) and the original error.
type hdfsError struct {
	class error // may be nil
	msg   string
	cause error
}

func (e *hdfsError) Error() string { return e.msg }

func (e *hdfsError) Unwrap() []error {
	errs := make([]error, 0, 2)
	if e.class != nil {
		errs = append(errs, e.class)
	}
	if e.cause != nil {
		errs = append(errs, e.cause)
	}
	return errs
}

// Java exception classes the NameNode returns, by what they mean here.
var exceptionClasses = map[string]error{
	"java.io.FileNotFoundException":                                    fs.ErrNotExist,
	"org.apache.hadoop.security.AccessControlException":                fs.ErrPermission,
	"org.apache.hadoop.fs.FileAlreadyExistsException":                  fs.ErrExist,
	"org.apache.hadoop.hdfs.protocol.AlreadyBeingCreatedException":     fs.ErrExist,
	"org.apache.hadoop.fs.PathIsNotEmptyDirectoryException":            syscall.ENOTEMPTY,
	"org.apache.hadoop.fs.ParentNotDirectoryException":                 syscall.ENOTDIR,
	"org.apache.hadoop.hdfs.server.namenode.SafeModeException":         ErrSafeMode,
	"org.apache.hadoop.ipc.StandbyException":                           ErrUnavailable,
	"org.apache.hadoop.hdfs.server.namenode.NotReplicatedYetException": ErrUnavailable,
	"org.apache.hadoop.HadoopIllegalArgumentException":                 fs.ErrInvalid,
	"org.apache.hadoop.fs.InvalidPathException":                        fs.ErrInvalid,
}

// classify turns an error of the HDFS client into one that errors.Is can
// test; nil stays nil.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var remote hdfs.Error
	if errors.As(err, &remote) {
		msg := firstLine(remote.Message())
		if e, ok := remote.(error); ok && msg == "" {
			msg = e.Error()
		}
		class := exceptionClasses[remote.Exception()]
		switch {
		case class != nil:
		case strings.Contains(msg, "safe mode"):
			class = ErrSafeMode // e.g. wrapped in a RetriableException
		case strings.Contains(msg, "could only be written to 0 of the"):
			class = ErrUnavailable // no DataNode could take a block
		case remote.Exception() == "org.apache.hadoop.ipc.RetriableException":
			class = ErrUnavailable // the NameNode asks to be called again (e.g. starting up)
		}
		return &hdfsError{class: class, msg: remote.Exception() + ": " + msg, cause: err}
	}
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrExist), errors.Is(err, fs.ErrPermission),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err // already testable
	case hdfs.IsErrReplicating(err) || errors.Is(err, hdfs.ErrReplicating):
		return err
	}
	var nerr net.Error
	if errors.As(err, &nerr) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, os.ErrDeadlineExceeded) || strings.Contains(err.Error(), "no available namenodes") ||
		strings.Contains(strings.ToLower(err.Error()), "no available datanodes") { // none holds the block yet (a restarted NameNode) or any more
		return &hdfsError{class: ErrUnavailable, msg: err.Error(), cause: err}
	}
	return err
}

// pathError wraps a classified error with the operation and the full path
// (hdfs://authority/name), so messages say where and what.
func (h *HDFS) pathError(op, name string, err error) error {
	if err == nil {
		return nil
	}
	// The client's own *os.PathError repeats op and name: keep only its cause.
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == name {
		err = pe.Err
	}
	err = classify(err)
	return &fs.PathError{Op: op, Path: h.uri(name), Err: err}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	return s
}
