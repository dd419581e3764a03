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
// The wire protocol is newline-delimited JSON on one TCP connection. The
// handshake:
//
//	driver → executor  {"challenge":"<base64 32 bytes>"}
//	executor → driver  {"proof":"<base64 HMAC>","executor_id":"…","host":"…","cores":N,"pid":N}
//	driver → executor  {"ok":true}            or {"error":"…"} and close
//
// Then either side sends requests {"seq":N,"op":"…",…} and answers the other's
// with {"reply":N} (plus "error" when it failed); a reader goroutine per side
// dispatches replies and handles requests concurrently, so a block waiting
// for the write-ahead log never holds up a heartbeat:
//
//	executor → driver  heartbeat                         every heartbeat interval
//	driver → executor  run_receiver {run,stream,name,offset}, stop_receiver {run}
//	executor → driver  records {run,data}, block {run,data,offset} (replied once
//	                   the block is safe), report {run,report}, receiver_done {run,error}
//
// Receivers run on executors (Endpoint.RunReceiver is the engine's
// ReceiverHost; the executor runs engine.ServeReceiver with the
// application's setup). Records travel encoded with the stream's codec and
// enter the driver's block generator, so blocks, rate limits, the
// write-ahead log and acknowledgements are the driver's, as for a local
// receiver. A receiver whose executor is lost is restarted by the engine on
// another executor, from the driver's newest offset. Tasks still run on the
// driver's local backend.
package container
