// Package client is gostream's YARN client: it talks to the ResourceManager
// over Hadoop RPC (ApplicationClientProtocol) to get a new application id,
// submit an application, follow its report, kill it, and look at the
// cluster's nodes and metrics. It is what `gostream-submit --master yarn`
// uses; the staging upload to HDFS is hdfsstore's job.
//
// Every method takes a context and returns within its deadline (or the
// client's call timeout when it has none). Errors are *Error values naming the
// operation and, where there is one, the application, like os.PathError;
// errors.Is matches ErrApplicationNotFound (and fs.ErrNotExist for it),
// ErrInvalidResourceRequest, ErrAccessControl (and fs.ErrPermission), and an
// unreachable ResourceManager comes back as a connection error naming the
// address tried (ipc.IsConnError).
//
// A Client is safe for concurrent use; Close releases its connection.
//
// The RM silently caps an application's maxAppAttempts at
// yarn.resourcemanager.am.max-attempts: CheckMaxAttempts says when that will
// happen, so that the caller can tell the user.
package client
