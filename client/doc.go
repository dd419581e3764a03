// Package client is gostream's YARN client: it talks to the ResourceManager
// over Hadoop RPC (ApplicationClientProtocol) to get a new application id,
// submit an application, follow its report, kill it, and look at the
// cluster's nodes and metrics; and Staging, which uploads an application's
// files for its containers. It is what `gostream-submit --master yarn` and
// `gostream app` use. The records it speaks in (ids, resources, launch
// contexts, states) are package internal/yarn's.
//
// Every method takes a context and returns within its deadline (or the
// client's call timeout when it has none). Errors are *Error values naming the
// operation and, where there is one, the application, like os.PathError;
// errors.Is matches ErrApplicationNotFound (and fs.ErrNotExist for it),
// ErrInvalidResourceRequest, ErrAccessControl (and fs.ErrPermission),
// ErrInvalidSubmission (with yarn.ErrInvalidRecord for a bad record), and an
// unreachable ResourceManager comes back as a connection error naming the
// address tried (ipc.IsConnError).
//
// A Client is safe for concurrent use; Close releases its connection.
//
// The RM silently caps an application's maxAppAttempts at
// yarn.resourcemanager.am.max-attempts: CheckMaxAttempts says when that will
// happen, so that the caller can tell the user.
package client
