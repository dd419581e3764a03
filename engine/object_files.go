package engine

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"iter"
	"path"
	"slices"
	"strings"

	"github.com/gostream/gostream/engine/rdd"
	"github.com/gostream/gostream/hdfsstore"
)

// An object file is one part of a SaveAsObjectFiles batch directory: the
// partition's elements in the engine's codec (codec.go: strings and byte
// slices length-prefixed, anything else encoding/gob), in chunks:
//
//	magic "GSOB" | version byte = 1 |
//	per chunk: uvarint length | that many bytes (encodeSlice of up to
//	objectChunk elements) | crc uint32 big-endian, CRC-32C of those bytes
//
// Spark's saveAsObjectFiles writes Java-serialized SequenceFiles instead,
// which only a JVM reads.
const (
	objectMagic   = "GSOB"
	objectVersion = 1
	objectChunk   = 1024
)

// ErrNotObjectFile is wrapped by the error of reading a file that is not a
// whole object file (another format, truncated, damaged).
var ErrNotObjectFile = errors.New("not an object file written by SaveAsObjectFiles")

// SaveAsObjectFiles writes every batch as a directory
// prefix-TIME_IN_MS[.suffix] holding one part-NNNNN object file per
// partition, encoded as the engine encodes records (element types must be
// strings, byte slices or gob-encodable); ObjectFile reads such a
// directory back as an RDD. Directories appear whole and a re-run batch
// replaces its own, as with SaveAsTextFiles.
func (d *DStream[T]) SaveAsObjectFiles(prefix, suffix string) {
	saveAsFiles(d, "saveAsObjectFiles", prefix, suffix, writeObjects[T])
}

func writeObjects[T any](w *bufio.Writer, items iter.Seq[T]) error {
	if _, err := w.WriteString(objectMagic); err != nil {
		return err
	}
	if err := w.WriteByte(objectVersion); err != nil {
		return err
	}
	chunk := make([]T, 0, objectChunk)
	flush := func() error {
		b, err := encodeSlice(chunk)
		if err != nil {
			return err
		}
		frame := binary.AppendUvarint(nil, uint64(len(b)))
		frame = append(frame, b...)
		frame = binary.BigEndian.AppendUint32(frame, crc32.Checksum(b, castagnoli))
		_, err = w.Write(frame)
		chunk = chunk[:0]
		return err
	}
	for x := range items {
		if chunk = append(chunk, x); len(chunk) == objectChunk {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if len(chunk) > 0 {
		return flush()
	}
	return nil
}

// ObjectFile reads a directory SaveAsObjectFiles wrote for one batch
// (prefix-TIME_IN_MS[.suffix], a path as the context resolves its own) as
// an RDD of one partition per part file, read when computed: Spark's
// SparkContext.objectFile, for use in Transform or to feed a QueueStream.
// T must be the type the directory was written with; a file of another
// type or format fails the read, naming it (ErrNotObjectFile).
func ObjectFile[T any](ctx context.Context, ssc *Context, dir string) (*RDD[T], error) {
	fsys, root, err := ssc.FileSystem(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("objectFile %s: %w", dir, err)
	}
	infos, err := fsys.ReadDir(ctx, root)
	if err != nil {
		return nil, fmt.Errorf("objectFile %s: %w", dir, err)
	}
	var parts []string
	for _, fi := range infos {
		if !fi.IsDir() && strings.HasPrefix(fi.Name(), "part-") {
			parts = append(parts, path.Join(root, fi.Name()))
		}
	}
	slices.Sort(parts)
	return rdd.Zip(ssc.env, len(parts), func(ctx context.Context, p int, emit func(T)) error {
		return readObjects(ctx, fsys, parts[p], emit)
	}), nil
}

// readObjects pushes the elements of one object file.
func readObjects[T any](ctx context.Context, fsys hdfsstore.FS, name string, emit func(T)) error {
	f, err := fsys.Open(ctx, name)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	head := make([]byte, len(objectMagic)+1)
	if _, err := io.ReadFull(br, head); err != nil || string(head[:len(objectMagic)]) != objectMagic {
		return fmt.Errorf("%s: %w (it does not start with %q)", name, ErrNotObjectFile, objectMagic)
	}
	if head[len(objectMagic)] != objectVersion {
		return fmt.Errorf("%s: object file version %d, this binary reads %d", name, head[len(objectMagic)], objectVersion)
	}
	for chunk := 0; ; chunk++ {
		n, err := binary.ReadUvarint(br)
		if errors.Is(err, io.EOF) {
			return nil
		}
		damaged := func(what string) error {
			return fmt.Errorf("%s: chunk %d %s: %w (truncated or overwritten)", name, chunk, what, ErrNotObjectFile)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) || (err == nil && n > 1<<31) {
			return damaged("has a bad length")
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
		frame := make([]byte, n+4)
		if _, err := io.ReadFull(br, frame); errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return damaged("is cut short")
		} else if err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
		b := frame[:n]
		if crc32.Checksum(b, castagnoli) != binary.BigEndian.Uint32(frame[n:]) {
			return damaged("fails its checksum")
		}
		items, err := decodeSlice[T](b)
		if err != nil {
			return fmt.Errorf("%s: chunk %d: %w", name, chunk, err)
		}
		for _, x := range items {
			emit(x)
		}
	}
}
