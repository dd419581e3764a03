package engine

import (
	"fmt"
	"iter"
	"slices"
	"strings"

	"github.com/gostream/gostream/engine/rdd"
)

// Glom turns each partition of every batch into one element holding all of
// its elements (an empty slice for an empty partition), as Spark's glom.
func Glom[T any](d *DStream[T]) *DStream[[]T] {
	return derive(d, "glom", "", rdd.Glom[T])
}

// FlatMapValues replaces each pair by one pair per value f yields for its
// value, keeping the key (and the batch's partitioning by key).
func FlatMapValues[K comparable, V, W any](d *DStream[Pair[K, V]], f func(V) iter.Seq[W]) *DStream[Pair[K, W]] {
	return derive(d, "flatMapValues", "", func(r *RDD[Pair[K, V]]) *RDD[Pair[K, W]] { return rdd.FlatMapValues(r, f) })
}

// StorageLevel is a Spark storage level, accepted by Persist under Spark's
// names. gostream keeps every persisted RDD in memory, deserialized,
// whatever the level: the levels exist so that ported code reads the same.
type StorageLevel string

// Spark's storage levels (StorageLevel.MEMORY_ONLY, …).
const (
	MemoryOnly          StorageLevel = "MEMORY_ONLY"
	MemoryOnly2         StorageLevel = "MEMORY_ONLY_2"
	MemoryOnlySer       StorageLevel = "MEMORY_ONLY_SER"
	MemoryOnlySer2      StorageLevel = "MEMORY_ONLY_SER_2"
	MemoryAndDisk       StorageLevel = "MEMORY_AND_DISK"
	MemoryAndDisk2      StorageLevel = "MEMORY_AND_DISK_2"
	MemoryAndDiskSer    StorageLevel = "MEMORY_AND_DISK_SER"
	MemoryAndDiskSer2   StorageLevel = "MEMORY_AND_DISK_SER_2"
	DiskOnly            StorageLevel = "DISK_ONLY"
	DiskOnly2           StorageLevel = "DISK_ONLY_2"
	OffHeap             StorageLevel = "OFF_HEAP"
	storageLevelDefault              = MemoryOnlySer // Spark's default for a DStream
)

var storageLevels = []StorageLevel{MemoryOnly, MemoryOnly2, MemoryOnlySer, MemoryOnlySer2, MemoryAndDisk, MemoryAndDisk2,
	MemoryAndDiskSer, MemoryAndDiskSer2, DiskOnly, DiskOnly2, OffHeap}

// Persist keeps every batch's RDD of the stream in memory once computed, so
// that several outputs or operators reading it compute it once (Spark's
// persist). Any of Spark's levels is accepted and means memory here (see
// StorageLevel); an unknown one is a graph error reported by Start. Windows
// and state persist what they read again on their own.
func (d *DStream[T]) Persist(level StorageLevel) *DStream[T] {
	if !slices.Contains(storageLevels, level) {
		names := make([]string, len(storageLevels))
		for i, l := range storageLevels {
			names[i] = string(l)
		}
		d.ssc.graphError(fmt.Errorf("persist on %s: unknown storage level %q; use one of Spark's: %s",
			d.label(), level, strings.Join(names, ", ")))
	}
	d.n.persist = true
	return d
}

// Cache is Persist with Spark's default level for a DStream.
func (d *DStream[T]) Cache() *DStream[T] { return d.Persist(storageLevelDefault) }
