package rdd

import (
	"fmt"
	"math"
)

// PartitionOf is the reduce partition, among n, that holds key k. It must
// give the same answer in every process of an application (executors shuffle
// to each other), so it hashes the key's value, never an address or a
// per-process seed. Keys holding pointers therefore do not partition stably
// across processes; use value types as keys.
func PartitionOf[K comparable](k K, n int) int {
	if n == 1 {
		return 0
	}
	return int(hashKey(k) % uint64(n))
}

func hashKey[K comparable](k K) uint64 {
	switch v := any(k).(type) {
	case string:
		return hashString(v)
	case int:
		return mix(uint64(v))
	case int64:
		return mix(uint64(v))
	case int32:
		return mix(uint64(v))
	case uint64:
		return mix(v)
	case uint32:
		return mix(uint64(v))
	case uint:
		return mix(uint64(v))
	case bool:
		if v {
			return mix(1)
		}
		return mix(0)
	case float64:
		return mix(math.Float64bits(v + 0)) // + 0 turns -0 into 0: they are == keys
	case float32:
		return mix(uint64(math.Float32bits(v + 0)))
	default:
		return hashString(fmt.Sprintf("%#v", v))
	}
}

// hashString is FNV-1a followed by a final mix so the low bits spread well.
func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return mix(h)
}

// mix is the finalizer of SplitMix64.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
