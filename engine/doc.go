// Package engine is gostream's streaming engine and the API an application
// author writes against: Spark Streaming's DStreams, with Go's idioms.
//
// # An application
//
// An application is a setup function that builds a graph of DStreams on a
// Context, and a main that hands it to an entry point:
//
//	func main() {
//		gostream.Main(time.Second, func(ssc *engine.Context) error {
//			lines := engine.SocketTextStream(ssc, "localhost:9999")
//			words := engine.FlatMap(lines, strings.FieldsSeq)
//			pairs := engine.Map(words, func(w string) engine.Pair[string, int] { return engine.KV(w, 1) })
//			engine.ReduceByKey(pairs, func(a, b int) int { return a + b }).Print(10)
//			return nil
//		})
//	}
//
// gostream.Main (package github.com/gostream/gostream) runs every role the
// binary can be given: the driver with a local master, the YARN
// application master with the driver in it, and a YARN executor. Every
// process runs the same setup function, so every process builds the same
// graph; that is how work moves between processes without shipping code.
// Main and Run in this package run the driver with a local master only.
//
// # The graph
//
//   - Inputs: receivers (ReceiverStream, SocketTextStream,
//     GeneratedTextStream), which run on their own goroutine (on YARN, on an
//     executor) and store records that are cut into blocks, optionally
//     written to a write-ahead log first; and sources (Source,
//     SourceStream; QueueStream, TextFileStream), which decide each batch's
//     data themselves and keep their progress in the checkpoint.
//   - Transformations: type-changing ones are generic functions (Map,
//     FlatMap, Glom, FlatMapValues, ReduceByKey, Join, Transform,
//     TransformWith, TransformStreams, UpdateStateByKey and its
//     WithInitial, WithTime and Partitions forms, MapWithState,
//     GroupByKeyAndWindow, ReduceByKeyAndWindowInv, ReduceByWindowInv, …);
//     type-preserving ones are methods (Filter, Union, Window,
//     Repartition, Count, Persist, Cache). Optional partition counts are a
//     trailing variadic argument. DStream.Slice returns the RDDs a stream
//     remembers for a time range.
//   - Outputs: Print, SaveAsTextFiles, SaveAsObjectFiles (read back with
//     ObjectFile), ForeachRDD and ForeachPartition.
//
// Mistakes in the graph are collected while it is built and reported
// together by Context.Start. With a checkpoint directory (Checkpoint, or
// gostream.streaming.checkpoint.directory) a restarted driver continues
// from its checkpoint; stateful operators need one.
//
// Each batch's data is an RDD (package engine/rdd re-exported here: RDD,
// Pair, Opt). Tasks run on the local master's slots or on executors; a
// task whose own code fails is tried again up to gostream.task.maxFailures
// times (package engine/task).
//
// Listeners (AddListener) hear about batches, outputs and receivers;
// package engine/streamtest runs a graph on a manual clock for tests.
//
// # For runtimes
//
// What executors and the application master need of the engine lives apart
// from this API: package engine/cluster is the seam (TaskHost,
// ReceiverHost, Executor), which the options WithTaskHost and
// WithReceiverHost and the constructor NewExecutor connect to.
package engine
