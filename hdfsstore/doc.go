// Package hdfsstore is gostream's storage layer: the FS seam with its local
// and HDFS implementations, the write-ahead log, checkpoint files and marker
// files. Everything above it sees only FS, so local mode and YARN mode share
// the same durability rules (those of HDFS: a file is durable once committed).
package hdfsstore
