// Package rdd holds gostream's batch datasets, the analogue of Spark's RDDs:
// a partitioned collection computed lazily, partition by partition, by tasks
// that run on an executor Backend.
//
// Narrow operators (Map, Filter, FlatMap, MapPartitions, MapValues, Union) do
// not materialize anything: each wraps its parent's compute function, so a
// chain of them runs as one pass per partition. Wide operators (ReduceByKey,
// GroupByKey, CombineByKey, joins, Repartition) cut the lineage into stages at
// a hash shuffle; keyed shuffles combine on the map side before partitioning,
// so only one value per distinct key and map task crosses the shuffle.
//
// An RDD is immutable once built and safe for concurrent use by the tasks of
// several jobs. Shuffle map stages and cached partitions run at most once.
package rdd
