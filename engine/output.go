package engine

import (
	"bufio"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"iter"
	"path"
	"time"

	"github.com/gostream/gostream/hdfsstore"
)

// outputOp is an output operation: at every batch it turns the stream's RDD
// into a job, which the job scheduler runs.
type outputOp struct {
	id   int
	kind string
	node *node
	// job returns the work of batch t, or nil when the stream has no RDD at t.
	job func(t time.Time) (func(ctx context.Context) error, error)
	// partition, for outputs made of one task per partition, runs the task
	// of partition p of r (an *RDD[T], the RDD of batch t): an executor
	// runs it with its own copy of the output.
	partition func(ctx context.Context, t time.Time, r any, p int) error
}

func addOutput[T any](d *DStream[T], kind string, run func(ctx context.Context, t time.Time, r *RDD[T]) error) *outputOp {
	g := &d.ssc.graph
	op := &outputOp{id: len(g.outputs), kind: kind, node: d.n}
	op.job = func(t time.Time) (func(ctx context.Context) error, error) {
		r, err := d.rddAt(t)
		if r == nil || err != nil {
			return nil, err
		}
		return func(ctx context.Context) error { return run(ctx, t, r) }, nil
	}
	g.outputs = append(g.outputs, op)
	return op
}

// Print prints the first n elements of every batch (n <= 0: 10) to the
// context's standard output, under a header with the batch time.
func (d *DStream[T]) Print(n int) {
	if n <= 0 {
		n = 10
	}
	addOutput(d, "print", func(ctx context.Context, t time.Time, r *RDD[T]) error {
		first, err := r.Take(ctx, n+1)
		if err != nil {
			return err
		}
		return printBatch(d.ssc.stdout, t, first, n)
	})
}

func printBatch[T any](w io.Writer, t time.Time, items []T, n int) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "-------------------------------------------\nTime: %d ms\n-------------------------------------------\n", t.UnixMilli())
	for i, x := range items {
		if i == n {
			fmt.Fprintln(bw, "...")
			break
		}
		fmt.Fprintln(bw, x)
	}
	fmt.Fprintln(bw)
	return bw.Flush()
}

// ForeachRDD runs f on the driver at every batch with the batch's RDD; f
// may run actions on it (Collect, ForeachPartition, …). The batch time lets
// f write idempotently: a batch re-run after a failure has the same time.
func (d *DStream[T]) ForeachRDD(f func(ctx context.Context, batchTime time.Time, r *RDD[T]) error) {
	addOutput(d, "foreachRDD", f)
}

// addPartitionOutput registers an output whose work at batch t is f on
// every partition, as tasks: on the executors in cluster mode when the
// stream can be rebuilt there (see remote_tasks.go). before and after, when
// set, run on the driver around the tasks.
func addPartitionOutput[T any](d *DStream[T], kind string, before, after func(ctx context.Context, t time.Time) error,
	f func(ctx context.Context, t time.Time, p int, items iter.Seq[T]) error) {
	at := func(t time.Time) func(ctx context.Context, p int, items iter.Seq[T]) error {
		return func(ctx context.Context, p int, items iter.Seq[T]) error { return f(ctx, t, p, items) }
	}
	var op *outputOp
	op = addOutput(d, kind, func(ctx context.Context, t time.Time, r *RDD[T]) error {
		if before != nil {
			if err := before(ctx, t); err != nil {
				return err
			}
		}
		if err := foreachPartition(ctx, d.ssc, op, t, r, at(t)); err != nil || after == nil {
			return err
		}
		return after(ctx, t)
	})
	op.partition = func(ctx context.Context, t time.Time, r any, p int) error {
		return r.(*RDD[T]).PartitionTask(kind, p, at(t)).Run(ctx)
	}
}

// ForeachPartition runs f once per partition of every batch, as tasks (on
// executors in cluster mode, for streams computed from their batch's input
// alone), with the batch time and the partition index: together they name
// the slice of data uniquely, for idempotent or transactional sinks (Spark's
// foreachRDD + foreachPartition).
func (d *DStream[T]) ForeachPartition(f func(ctx context.Context, batchTime time.Time, partition int, items iter.Seq[T]) error) {
	addPartitionOutput(d, "foreachPartition", nil, nil, f)
}

// SaveAsTextFiles writes every batch as a directory prefix-TIME_IN_MS[.suffix]
// holding one part-NNNNN file per partition, each element on a line. The
// directory appears whole: parts are written into a temporary directory that
// is renamed into place, replacing the output of an earlier run of the same
// batch, so re-running a batch never duplicates output.
func (d *DStream[T]) SaveAsTextFiles(prefix, suffix string) {
	saveAsFiles(d, "saveAsTextFiles", prefix, suffix, writeLines[T])
}

// writeLines writes each element on a line.
func writeLines[T any](w *bufio.Writer, items iter.Seq[T]) error {
	for x := range items {
		fmt.Fprintln(w, x)
	}
	return nil
}

// saveAsFiles writes every batch as a directory prefix-TIME_IN_MS[.suffix]
// holding one part-NNNNN file per partition written by write, as
// SaveAsTextFiles says.
func saveAsFiles[T any](d *DStream[T], kind, prefix, suffix string, write func(w *bufio.Writer, items iter.Seq[T]) error) {
	fsys, root, err := d.ssc.fileSystem(prefix)
	if err != nil {
		d.ssc.pathError(fmt.Errorf("%s %s: %w", kind, prefix, err))
		return
	}
	dirs := func(t time.Time) (dir, tmp string) {
		dir = fmt.Sprintf("%s-%d", root, t.UnixMilli())
		if suffix != "" {
			dir += "." + suffix
		}
		return dir, path.Join(path.Dir(dir), hdfsstore.TempPrefix+path.Base(dir))
	}
	before := func(ctx context.Context, t time.Time) error {
		_, tmp := dirs(t)
		if err := fsys.RemoveAll(ctx, tmp); err != nil {
			return fmt.Errorf("clear %s: %w", tmp, err)
		}
		return fsys.MkdirAll(ctx, path.Join(tmp, partAttempts), 0o755)
	}
	after := func(ctx context.Context, t time.Time) error {
		dir, tmp := dirs(t)
		if err := fsys.RemoveAll(ctx, path.Join(tmp, partAttempts)); err != nil {
			return fmt.Errorf("clear %s: %w", tmp, err)
		}
		if err := fsys.RemoveAll(ctx, dir); err != nil {
			return fmt.Errorf("replace %s: %w", dir, err)
		}
		return fsys.Rename(ctx, tmp, dir)
	}
	addPartitionOutput(d, kind, before, after, func(ctx context.Context, t time.Time, p int, items iter.Seq[T]) error {
		_, tmp := dirs(t)
		return writePart(ctx, fsys, tmp, fmt.Sprintf("part-%05d", p), func(w *bufio.Writer) error { return write(w, items) })
	})
}

// partAttempts, made before the tasks run, is where each attempt of a
// part's task writes, under a name of its own (Create never overwrites, and
// a task may run more than once: again elsewhere after its executor died
// mid-write, or after its own error); the finished attempt is renamed into place.
const partAttempts = "_attempts"

// A transient storage fault writes it again, whole, under a new name.
func writePart(ctx context.Context, fsys hdfsstore.FS, dir, part string, write func(w *bufio.Writer) error) error {
	return hdfsstore.Retry(ctx, fsys, "write", path.Join(dir, part), func(ctx context.Context) error {
		return writePartOnce(ctx, fsys, dir, part, write)
	})
}

func writePartOnce(ctx context.Context, fsys hdfsstore.FS, dir, part string, write func(w *bufio.Writer) error) error {
	name := path.Join(dir, partAttempts, part+"-"+rand.Text())
	w, err := fsys.Create(ctx, name)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := write(bw); err != nil {
		_ = w.Abort(ctx)
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := bw.Flush(); err != nil {
		_ = w.Abort(ctx)
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := w.Commit(ctx); err != nil {
		_ = w.Abort(ctx)
		return err
	}
	return fsys.Rename(ctx, name, path.Join(dir, part))
}
