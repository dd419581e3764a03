// Package examples holds runnable gostream streaming applications, one main
// package per directory; this package itself only holds their tests, which
// build every example and run it for a few seconds.
//
//   - wordcount: live word count (flatMap, map, reduceByKey) with running
//     totals (updateStateByKey), fed by the built-in generator or a socket.
//   - statefulwordcount: running counts with updateStateByKey, forgetting
//     idle words.
//   - windowedcounts: counts over a sliding window, computed incrementally
//     with reduceByKeyAndWindow and an inverse function.
//   - filestream: word count of the files moved into a directory, saved with
//     saveAsTextFiles.
//
// Every example runs on the embedded local master with "go run", stops
// gracefully after -duration, and can be run with gostream-submit:
//
//	go run ./examples/wordcount -duration 10s
//	go run ./cmd/gostream-submit --master 'local[4]' ./examples/wordcount -duration 30s
package examples
