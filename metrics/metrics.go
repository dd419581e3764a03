package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/engine/task"
)

// NewRegistry is a process's registry, with the Go runtime's and the
// process's collectors (go_*, process_*).
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Handler serves reg's metrics in Prometheus' text format.
func Handler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}

// Buckets of the histograms, in seconds: batch delays from 5 ms to about
// 3 minutes; storage writes from 1 ms to about 30 s.
var (
	delayBuckets = prometheus.ExponentialBuckets(0.005, 2, 16)
	writeBuckets = prometheus.ExponentialBuckets(0.001, 2, 16)
)

var _ engine.RuntimeListener = (*Driver)(nil)

// Driver is a listener turning the driver's events into metrics. Register
// it with the driver's context (engine.WithListener).
type Driver struct {
	engine.NopListener
	batch time.Duration

	schedulingDelay, processingDelay, totalDelay prometheus.Histogram
	batchesCompleted, batchesFailed              prometheus.Counter
	lastCompleted                                prometheus.Gauge
	records                                      *prometheus.CounterVec
	inputRate                                    *prometheus.GaugeVec
	outputs                                      *prometheus.CounterVec
	outputSeconds                                *prometheus.HistogramVec
	receiverActive                               *prometheus.GaugeVec
	receiverErrors                               *prometheus.CounterVec
	taskAttempts                                 *prometheus.CounterVec
	walSeconds                                   *prometheus.HistogramVec
	walBytes, walFailures                        *prometheus.CounterVec
	checkpointSeconds                            prometheus.Histogram
	checkpointBytes, checkpointFailures          prometheus.Counter
	lastCheckpoint                               prometheus.Gauge
	stateKeys                                    *prometheus.GaugeVec
}

// NewDriver registers the driver's metrics with reg. batch is the batch
// duration (input rates are per second of it); executors, when set, counts
// the executors registered with the driver.
func NewDriver(reg prometheus.Registerer, batch time.Duration, executors func() int) (*Driver, error) {
	f := factory{reg: reg}
	d := &Driver{batch: batch,
		schedulingDelay: f.histogram("gostream_batch_scheduling_delay_seconds", "How long completed batches waited for earlier ones.", delayBuckets),
		processingDelay: f.histogram("gostream_batch_processing_seconds", "How long completed batches' jobs ran.", delayBuckets),
		totalDelay:      f.histogram("gostream_batch_total_delay_seconds", "Scheduling delay plus processing time of completed batches.", delayBuckets),
		batchesCompleted: f.counter("gostream_batches_completed_total",
			"Batches completed, failed ones included when gostream.streaming.onBatchFailure=continue."),
		batchesFailed: f.counter("gostream_batches_failed_total", "Batches whose output operations failed."),
		lastCompleted: f.gauge("gostream_last_completed_batch_timestamp_seconds", "Batch time of the latest completed batch (Unix seconds)."),
		records:       f.counterVec("gostream_input_records_total", "Records of completed batches, per input stream.", "stream"),
		inputRate: f.gaugeVec("gostream_input_rate_records_per_second",
			"Records of the latest completed batch per second of batch duration, per input stream (a receiver's rate).", "stream"),
		outputs: f.counterVec("gostream_output_operations_total", "Output operations run, per output, by outcome.", "output", "op", "outcome"),
		outputSeconds: f.histogramVec("gostream_output_operation_seconds", "How long output operations ran, per output.", delayBuckets,
			"output", "op"),
		receiverActive: f.gaugeVec("gostream_receiver_active", "1 while the stream's receiver runs, 0 once it stopped.", "stream"),
		receiverErrors: f.counterVec("gostream_receiver_errors_total",
			"Errors receivers reported, per stream (stream -1: the receiver write-ahead log).", "stream"),
		taskAttempts: f.counterVec("gostream_task_attempts_total",
			"Task attempts the driver ran (locally or on executors), by final state and failure kind.", "state", "kind"),
		walSeconds: f.histogramVec("gostream_wal_write_seconds",
			"How long writing a block to the receiver write-ahead log took (segment and metadata record), per stream.", writeBuckets, "stream"),
		walBytes:    f.counterVec("gostream_wal_written_bytes_total", "Bytes of blocks written to the receiver write-ahead log, per stream.", "stream"),
		walFailures: f.counterVec("gostream_wal_write_failures_total", "Blocks the receiver write-ahead log failed to write, per stream.", "stream"),
		checkpointSeconds: f.histogram("gostream_checkpoint_write_seconds",
			"How long checkpoint writes took, failed ones included.", writeBuckets),
		checkpointBytes:    f.counter("gostream_checkpoint_written_bytes_total", "Bytes of checkpoints written."),
		checkpointFailures: f.counter("gostream_checkpoint_failures_total", "Checkpoint writes that failed."),
		lastCheckpoint:     f.gauge("gostream_last_checkpoint_timestamp_seconds", "Batch time of the latest checkpoint written (Unix seconds)."),
		stateKeys: f.gaugeVec("gostream_state_keys",
			"Keys each stateful stream (updateStateByKey, mapWithState, reduceByKeyAndWindow with an inverse) holds after its latest batch.", "stream", "op"),
	}
	if executors == nil {
		executors = func() int { return 0 }
	}
	f.register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "gostream_executors",
		Help: "Executors registered with the driver (0 with a local master)."}, func() float64 { return float64(executors()) }))
	if f.err != nil {
		return nil, f.err
	}
	return d, nil
}

func (d *Driver) OnBatchCompleted(b engine.BatchInfo) {
	d.schedulingDelay.Observe(b.SchedulingDelay().Seconds())
	d.processingDelay.Observe(b.ProcessingDelay().Seconds())
	d.totalDelay.Observe(b.TotalDelay().Seconds())
	d.batchesCompleted.Inc()
	if b.Err != nil {
		d.batchesFailed.Inc()
	}
	d.lastCompleted.Set(seconds(b.BatchTime))
	for id, n := range b.StreamRecords {
		stream := strconv.Itoa(id)
		d.records.WithLabelValues(stream).Add(float64(n))
		d.inputRate.WithLabelValues(stream).Set(float64(n) / d.batch.Seconds())
	}
}

func (d *Driver) OnOutputOperationCompleted(o engine.OutputOpInfo) {
	output, outcome := strconv.Itoa(o.ID), "succeeded"
	if o.Err != nil {
		outcome = "failed"
	}
	d.outputs.WithLabelValues(output, o.Name, outcome).Inc()
	d.outputSeconds.WithLabelValues(output, o.Name).Observe(o.End.Sub(o.Start).Seconds())
}

func (d *Driver) OnReceiverStarted(r engine.ReceiverInfo) { d.receiver(r) }
func (d *Driver) OnReceiverStopped(r engine.ReceiverInfo) { d.receiver(r) }

func (d *Driver) OnReceiverError(r engine.ReceiverInfo) {
	d.receiverErrors.WithLabelValues(strconv.Itoa(r.StreamID)).Inc()
}

func (d *Driver) receiver(r engine.ReceiverInfo) {
	active := 0.0
	if r.Active {
		active = 1
	}
	d.receiverActive.WithLabelValues(strconv.Itoa(r.StreamID)).Set(active)
}

func (d *Driver) OnTaskAttemptEnded(t engine.TaskAttemptInfo) {
	d.taskAttempts.WithLabelValues(t.State.String(), t.Kind.String()).Inc()
}

func (d *Driver) OnWALWritten(w engine.WALWriteInfo) {
	stream := strconv.Itoa(w.StreamID)
	d.walSeconds.WithLabelValues(stream).Observe(w.Duration.Seconds())
	if w.Err != nil {
		d.walFailures.WithLabelValues(stream).Inc()
		return
	}
	d.walBytes.WithLabelValues(stream).Add(float64(w.Bytes))
}

func (d *Driver) OnCheckpointWritten(c engine.CheckpointWriteInfo) {
	d.checkpointSeconds.Observe(c.Duration.Seconds())
	if c.Err != nil {
		d.checkpointFailures.Inc()
		return
	}
	d.checkpointBytes.Add(float64(c.Bytes))
	d.lastCheckpoint.Set(seconds(c.BatchTime))
}

func (d *Driver) OnBatchFailed(engine.BatchInfo) { d.batchesFailed.Inc() }

func (d *Driver) OnStateMaterialized(s engine.StateInfo) {
	d.stateKeys.WithLabelValues(strconv.Itoa(s.StreamID), s.Kind).Set(float64(s.Keys))
}

// Executor holds an executor's own metrics (besides the Go runtime's and
// the process's).
type Executor struct {
	tasks *prometheus.CounterVec
}

// NewExecutor registers an executor's metrics with reg.
func NewExecutor(reg prometheus.Registerer) (*Executor, error) {
	f := factory{reg: reg}
	e := &Executor{tasks: f.counterVec("gostream_executor_tasks_total",
		"Tasks this executor ran for the driver, by final state and failure kind.", "state", "kind")}
	return e, f.err
}

// TaskEnded counts a task's end (container.ExecutorConfig.OnTaskEnded).
func (e *Executor) TaskEnded(state task.State, kind task.Kind) {
	e.tasks.WithLabelValues(state.String(), kind.String()).Inc()
}

func seconds(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

// factory makes and registers metrics, keeping the first registration
// error (a name registered twice in one registry).
type factory struct {
	reg prometheus.Registerer
	err error
}

func (f *factory) register(c prometheus.Collector) {
	if err := f.reg.Register(c); err != nil && f.err == nil {
		f.err = err
	}
}

func (f *factory) histogram(name, help string, buckets []float64) prometheus.Histogram {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets})
	f.register(h)
	return h
}

func (f *factory) histogramVec(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, labels)
	f.register(h)
	return h
}

func (f *factory) counter(name, help string) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	f.register(c)
	return c
}

func (f *factory) counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	f.register(c)
	return c
}

func (f *factory) gauge(name, help string) prometheus.Gauge {
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
	f.register(g)
	return g
}

func (f *factory) gaugeVec(name, help string, labels ...string) *prometheus.GaugeVec {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	f.register(g)
	return g
}
