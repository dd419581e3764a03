// Package container holds what runs around a YARN container: the
// NodeManager client the application master starts, stops and queries
// containers with (ContainerManagementProtocol over Hadoop IPC, authenticated
// with the NodeManager's NMToken), the executor's launch context, and the
// executor runtime with its driver-side endpoint.
//
// # Executors and the driver
//
// An executor is the application's own binary started in the executor role
// (GOSTREAM_ROLE=executor). It connects to the driver's address
// (GOSTREAM_DRIVER_ADDRESS), proves it knows the per-application secret
// (GOSTREAM_EXECUTOR_SECRET) by answering the driver's random challenge with
// HMAC-SHA256(secret, challenge) — the secret itself never crosses the
// network — registers, and heartbeats. The driver refuses connections that
// do not prove the secret. An executor exits when the driver goes away
// (connection closed, or no answer within the network timeout).
//
// The wire protocol is newline-delimited JSON on one TCP connection:
//
//	driver → executor  {"challenge":"<base64 32 bytes>"}
//	executor → driver  {"proof":"<base64 HMAC>","executor_id":"…","host":"…","cores":N,"pid":N}
//	driver → executor  {"ok":true}            or {"error":"…"} and close
//	executor → driver  {"heartbeat":N}        every heartbeat interval
//	driver → executor  {"ack":N}
//
// Executors do not run tasks yet: the driver runs every task on its own
// local backend. Executors register and idle; see docs/ARCHITECTURE.md.
package container
