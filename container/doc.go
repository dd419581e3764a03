// Package container is the executor runtime and its driver-side endpoint:
// the executor process, the driver's Endpoint, the wire protocol between
// them, and the shuffle. It knows nothing of YARN: the application master
// builds executor launch contexts (package am) and starts them through
// their NodeManagers (package internal/yarn/nodemanager); an executor learns
// its driver from the environment those set (ExecutorConfigFromEnv).
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
// (connection closed, or no answer within the network timeout). The driver
// declares an executor lost when its connection fails or it is silent for
// the network timeout (EndpointOptions.OnLost hears of it) and refuses its
// id from then on, with {"error":"…","failure":{"kind":"declared_lost"}}, so
// that a process that wakes up exits (ErrDeclaredLost) instead of rejoining.
//
// The wire protocol is JSON lines on one TCP connection; a message's bulk
// data (records, a task's spec, an input partition, a bucket) follows its
// line raw, data_len bytes, instead of inside the JSON as base64. The
// handshake:
//
//	driver → executor  {"challenge":"<base64 32 bytes>"}
//	executor → driver  {"proof":"<base64 HMAC>","executor_id":"…","host":"…","cores":N,"pid":N,"shuffle_addr":"host:port"}
//	driver → executor  {"ok":true}            or {"error":"…"} and close
//
// Then either side sends requests {"seq":N,"op":"…",…} and answers the other's
// with {"reply":N} plus the reply's payload (data, "key"), or "error" when
// it failed; a reader goroutine per side dispatches replies and handles
// requests concurrently, so a block waiting for the write-ahead log or a
// running task never holds up a heartbeat:
//
//	executor → driver  heartbeat                         every heartbeat interval
//	driver → executor  run_receiver {run,stream,name,offset}, stop_receiver {run}
//	driver → executor  run_receiver's wal_dir: where the executor logs its blocks
//	executor → driver  block {run,data=a cluster.BlockRef, JSON} (replied once the
//	                   driver recorded it), report {run,report}, receiver_done {run,error}
//	driver → executor  forget_blocks {data=JSON list of block ids}: drop them
//	driver → executor  run_task {run,data=spec}: replied {key} when the task is done
//	executor → driver  read_input {run,data}: replied {data}, the task's input
//	driver → executor  forget_shuffles {batch}: drop map outputs of earlier batches
//	driver → executor  cancel_task {run}: the driver stopped waiting for the task
//	driver → AM        executor_lost {executor_id}: to the client-mode AM's link
//	driver → AM        driver_ended {end:{err,unrecoverable,signal}}: how the
//	                   client-mode driver ended (DriverEnd), replied before it closes the link
//
// The client-mode AM and the driver run the same application binary (the
// one gostream-submit staged and runs), so they speak the same protocol.
// Still, each side copes with the other's age: a side refuses a request it
// does not know with an error reply and goes on (an older AM refuses
// driver_ended, and then ends the application as it always did), and an
// AM that hears no driver_ended before the link ends (an older driver, or
// one killed) calls the application FAILED, never SUCCEEDED.
//
// Receivers run on executors (Endpoint.RunReceiver is the engine's
// cluster.ReceiverHost; the executor runs the ServeReceiver of the
// application's cluster.Executor). The executor cuts the blocks and keeps
// them, encoded with the stream's codec, in its block store (bounded by
// ExecutorConfig.BlockStoreMax: a receiver waits at the bound); the driver
// receives their metadata only and reads a block from its holder when one
// of its own tasks needs it. A receiver whose executor is lost is restarted
// by the engine on another executor, from the driver's newest offset.
//
// # Map tasks and shuffles
//
// Shuffle map tasks run on executors too, and so do the partition tasks of
// outputs (ForeachPartition, SaveAsTextFiles), which keep no output (the
// Endpoint is the engine's cluster.TaskHost; the executor runs them with
// ExecutorConfig.Tasks). The driver
// places a task on the executor holding its input block (cluster.Task.Prefer)
// when that one has a free core within EndpointOptions.LocalityWait, else on
// the least loaded executor with a free core (one task per core), waiting
// for one. The task's reads of the batch's input go back to
// the driver as read_input requests of its run; its output, one encoded
// bucket per reduce partition, stays in the executor's memory under a key
// the run_task reply names, until forget_shuffles drops its batch. An
// executor lost while a task runs fails the task with task.ErrExecutorLost,
// and the engine runs it elsewhere.
//
// A failed request's reply carries, besides its error text, the kind of
// failure (engine/task) when it is not the task's own: {"failure":{"kind":
// "auth"|"protocol"|"output_missing"|"fetch_failed", and for a fetch failure
// the stage, map partition and executor of the output}}, so the driver's
// retry policy tells them apart.
//
// Each executor that runs tasks serves its map outputs on a shuffle server
// listening on the address the driver reached it at (shuffle_addr in its
// hello). The driver and the other executors read them over shuffle
// connections, which open with the same handshake (the reader proves the
// application's secret) and then carry one request:
//
//	reader → executor  fetch_bucket {key,partition}: replied {data}, the bucket
//	reader → executor  fetch_block {key}: replied {data}, a block its receivers keep
//
// Readers keep a few such connections per executor and share them between
// concurrent reads; an executor reads its own outputs from its store. Reads
// of an executor that cannot be reached fail with task.ErrExecutorLost,
// reads of an output the executor no longer holds with task.ErrOutputMissing,
// and a refused handshake with ErrAuth (a task.ErrAuth).
package container
