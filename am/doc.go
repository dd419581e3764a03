// Package am is gostream's YARN application master. Run is the AM process:
// it registers with the ResourceManager's scheduler (authenticated with the
// AMRMToken from HADOOP_TOKEN_FILE_LOCATION), serves a small status page
// (the application's tracking URL), heartbeats with allocate calls, asks for
// gostream.executor.instances executor containers and launches them on
// their NodeManagers (package internal/yarn/nodemanager), replaces executors
// that end, counts their failures (gostream.executor.maxNumFailures within
// gostream.executor.failuresValidityInterval) and runs the streaming driver
// in-process.
//
// # Ending an attempt
//
// Following Spark's ApplicationMaster:
//
//   - the driver stopped by itself (a graceful stop that processed
//     everything received, the stop marker): the AM unregisters SUCCEEDED
//     and removes the staging directory;
//   - the driver failed: on the last attempt (attempt ≥ the effective
//     maximum: MAX_APP_ATTEMPTS where the RM sets it, which Hadoop 3's RM no
//     longer does, else gostream.yarn.maxAppAttempts capped by
//     yarn.resourcemanager.am.max-attempts of the container's site files,
//     as the RM caps it and Spark's AM computes it) the AM unregisters FAILED with the error as diagnostics and removes the
//     staging directory; on an earlier attempt it exits non-zero WITHOUT
//     unregistering, so that YARN starts the next attempt, whose driver
//     continues from the checkpoint. With an attempt-failures validity
//     interval YARN allows more attempts than that maximum, as old
//     failures are forgotten: an attempt at or past the maximum asks the RM
//     which attempts failed within the interval and is the last only when
//     they reach the maximum (Spark's AM calls attempt ≥ maximum the last,
//     which ends a long-running application at its maximum-th failure
//     however far apart the failures were); when the RM cannot be asked,
//     the AM exits without unregistering and YARN decides;
//   - an unrecoverable error (too many executor failures, a checkpoint of a
//     different graph, a bad configuration): FAILED at once, on any attempt;
//   - a graceful stop that gave up (engine.StopIncompleteError: no batch
//     completed for gostream.streaming.gracefulStopTimeout): FAILED at once,
//     with the batches and records left and whether the write-ahead log
//     keeps them as diagnostics — the operator asked for the end, so no new
//     attempt, but it was not a clean one;
//   - in client mode (the driver runs in gostream-submit; the AM keeps a link
//     to it) the driver says how it ended before closing the link: SUCCEEDED
//     when it stopped by itself, FAILED at once with its error (no attempt
//     can restart it), KILLED when a signal stopped it, and FAILED when the
//     link ends without a word (ClientDriverError);
//   - SIGTERM (YARN kills the container, or the application is killed): the
//     AM exits without unregistering, even when the driver stopped gracefully
//     (gostream.streaming.stopGracefullyOnShutdown) and that stop gave up.
//
// Receivers, shuffle map tasks and the partition tasks of outputs on
// streams executors can rebuild run on the executors (container.Endpoint is
// the driver's engine.ReceiverHost and engine.TaskHost); the driver's other
// tasks run on its local backend with gostream.driver.cores slots.
package am
