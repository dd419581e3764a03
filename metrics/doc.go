// Package metrics holds the Prometheus metrics of gostream's processes:
// Driver, a listener fed by the engine's events (batches, records,
// outputs, receivers, task attempts, the write-ahead log, checkpoints), and
// Executor, fed by an executor's task hook. Every process owns one registry
// (NewRegistry: the Go runtime's and the process's collectors included) and
// serves it with Handler at /metrics. Names start with gostream_;
// docs/PRODUCTION.md lists them.
package metrics
