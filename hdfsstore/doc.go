// Package hdfsstore is gostream's storage layer: the FS seam with its local
// and HDFS implementations, the write-ahead log, checkpoint files and marker
// files. Everything above it sees only FS, so local mode and YARN mode share
// the same durability rules (those of HDFS: a file is durable once committed).
//
// Files: fs.go (the FS seam), util.go (Exists, ReadFile, WriteFileAtomic),
// local.go (NewLocal), hdfs*.go (the HDFS FS; hdfs_forpath.go and
// hdfs_conns.go: Resolver, which resolves paths and owns its HDFS
// connections), fstest/ (the contract suite every FS passes), wal_*.go
// (the WAL: names, format, writer, reader, cleaner, refs), metalog.go (the
// driver's metadata log on the WAL format), checkpoint.go (checkpoint files),
// lease.go and fenced.go (one writer per directory),
// errors.go (CorruptError, VersionError).
//
// # Write-ahead log
//
// A WAL is one stream's sequence of immutable segment files. Each segment
// holds the records of one block interval and is written whole by one
// WriteSegment call, which returns once the segment is committed; the caller
// acknowledges the records only then. HDFS makes a file durable only when it
// is closed (FileWriter.Flush is not hflush), so the closed file is the unit
// of durability, and segments are never appended to or reopened.
//
// Segment file names (see SegmentName) sort by time within a stream:
//
//	<dir>/<stream>-<startMs>-<endMs>-<seq>.wal
//	e.g. recv-3-0000001732200000000-0000001732200000200-0000000000.wal
//
// startMs and endMs are the Unix-millisecond range the records cover (start
// rounded down, end rounded up), 19 digits; seq (10 digits) distinguishes
// segments of the same range. Names are allocated by exclusive Create: a name
// that is taken — by a committed segment or a file a crashed writer left,
// perhaps still open — is skipped by raising seq, so no file is ever written
// twice. Segments are not written under a temporary name and renamed, because
// FS.Rename overwrites: a rename could replace a segment a concurrent (zombie)
// writer committed under the same name.
//
// Segment format, all integers big-endian, CRCs CRC-32C (Castagnoli):
//
//	header   (8 bytes)   magic "GSWL" | version uint16 = 1 | reserved uint16 = 0
//	record   (8+n bytes) length uint32 (n ≤ 0xFFFFFFFE) | crc uint32 | payload [n]byte
//	...                  zero or more records
//	trailer  (12 bytes)  marker uint32 = 0xFFFFFFFF | count uint32 | crc uint32
//
// A record's crc covers its four length bytes and its payload. The trailer's
// crc covers its marker and count; count is the number of records. Nothing
// follows the trailer. A segment with zero records (header and trailer, 20
// bytes) is valid. RecordRef.Offset is the offset of a record's length field.
//
// Reading. ReadSegment verifies the whole file and stops at the first damage
// — end of file inside a header, record or trailer or before the trailer (a
// torn tail), a CRC mismatch, a bad magic, a bad trailer, trailing bytes —
// returning the good records before it together with a *CorruptError (path,
// offset, good-record count, Problem). A version above 1 is a *VersionError.
// ReadRecord reads one record by ref, checking the header and that record's
// CRC only. Reading never repairs: a damaged segment is reported, and the
// cleaner removes it with its time range.
//
// Committed segments. The engine records the RecordRefs that WriteSegment
// returned in its own metadata log and checkpoints, and reads data back by
// exact ref; that record, not a directory listing, says which segments were
// committed. Listing a stream (WAL.Segments, WAL.Replay) is for recovery
// tools and the metadata log: it delivers every good record in name order and
// reports, without stopping, torn or damaged segments and temporary files; it
// stops on a *VersionError and on I/O errors, so a newer format or a flaky
// HDFS never looks like missing data.
//
// Cleaning. WAL.Clean(before) deletes the stream's segments (complete or
// not) whose end time is at or before before, and temporary files
// (".tmp-" + segment name) of those ranges; files that are not segments are
// reported and left alone.
//
// Why no segment size limit: etcd cuts segments at a size; here the unit of
// group commit is the block interval, so a segment's size is the data of one
// interval, and the only limit is MaxRecordSize per record.
//
// # Metadata log
//
// The driver's metadata log (Log) uses the same format, writer and reader:
// one segment per Append of a few small records, stamped with a time that
// never goes backwards (the newest segment's time is a floor, found by
// listing at OpenLog), so name order is append order. Replay delivers the
// records in that order; a record is the unit of atomicity.
//
// # Checkpoint files
//
// A checkpoint is <dir>/checkpoint-<batchTimeMs> (decimal Unix milliseconds,
// no padding; ordered by parsing, not by name), with an older copy of the same
// batch time kept as checkpoint-<batchTimeMs>.bk. The payload is opaque bytes
// from the engine. Format, big-endian:
//
//	magic "GSCK" | version uint16 = 1 | reserved uint16 = 0 |
//	batchTimeMs int64 | payloadLength uint64 | payloadCRC uint32 (CRC-32C) |
//	payload [payloadLength]byte
//
// The 28-byte header's batch time must equal the name's. See WriteCheckpoint
// for the write order and ReadLatestCheckpoint for the fallback rules.
//
// # Leases
//
// A lease (lease.go) gives one writer a directory. Its files live in
// <dir>/lease/:
//
//	epoch-<n>   n a decimal epoch, 1, 2, …; JSON of the holder:
//	            {"app":"application_…","attempt":2,"run":"<random>","host":"h",
//	             "pid":123,"since":"<RFC 3339>","released":true}
//	            (app and attempt only for a YARN attempt; released once it stopped)
//
// The newest epoch is the lease. A new holder creates epoch-<n+1> with an
// exclusive Create (so of two contenders one wins), never removing older
// epochs: a fenced writer checks for the epoch after its own, so that file
// must stay. The holder renews by rewriting its epoch file
// (WriteFileAtomic): its modification time is the renewal, compared with the
// modification time of a file written just now (.tmp-clock-*, removed), so
// ages are measured on the file system's clock. Check is one Stat of
// epoch-<n+1>. Fenced wraps an FS so that commits, renames and removals
// call a fence (Check) first.
package hdfsstore
