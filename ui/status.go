package ui

import (
	"sort"
	"sync"
	"time"

	"github.com/gostream/gostream/container"
	"github.com/gostream/gostream/engine"
)

// retainedBatches is how many completed batches the status page shows.
const retainedBatches = 20

// Status is what the status page shows (and /json returns). The fields
// about YARN (attempts, executor containers) are empty outside YARN.
type Status struct {
	Application string `json:"application"`
	Name        string `json:"name"`
	// Master is gostream.master of a driver outside YARN ("" on YARN).
	Master  string `json:"master,omitempty"`
	Attempt int    `json:"attempt"`
	// MaxAttempts is the number of attempts YARN makes, the RM's cap
	// applied; RequestedMaxAttempts is gostream.yarn.maxAppAttempts as
	// asked for (absent: 0, the RM's number), which the RM may have cut.
	MaxAttempts          int       `json:"max_attempts"`
	RequestedMaxAttempts int       `json:"requested_max_attempts,omitempty"`
	Started              time.Time `json:"started"`
	// BatchDuration, GracefulStopTimeout and StopMarker tell operators'
	// tools how long a graceful stop may take and how to ask for one.
	BatchDuration       time.Duration `json:"batch_duration_ns"`
	GracefulStopTimeout time.Duration `json:"graceful_stop_timeout_ns"`
	StopMarker          string        `json:"stop_marker,omitempty"`
	Executors           []Executor    `json:"executors"`
	// Registered are the executors connected to the driver, each with the
	// address of its Prometheus metrics (metrics_addr).
	Registered       []container.ExecutorInfo `json:"registered_executors"`
	ExecutorFailures int                      `json:"executor_failures"`
	// EndedExecutors are the most recent executors whose containers
	// completed, oldest first, with the reason in words.
	EndedExecutors []EndedExecutor  `json:"ended_executors"`
	Receivers      []ReceiverStatus `json:"receivers"`
	// ReceiverPlacements tell which executor runs each receiver.
	ReceiverPlacements []container.ReceiverPlacement `json:"receiver_placements"`
	CompletedBatches   int64                         `json:"completed_batches"`
	Batches            []BatchStatus                 `json:"recent_batches"`
}

// Executor is an executor's YARN container.
type Executor struct {
	ID        string    `json:"id"`
	Container string    `json:"container"`
	Node      string    `json:"node"`
	Started   time.Time `json:"started"`
}

// EndedExecutor is an executor whose container completed.
type EndedExecutor struct {
	ID         string    `json:"id"`
	Container  string    `json:"container"`
	Node       string    `json:"node"`
	Ended      time.Time `json:"ended"`
	ExitStatus int32     `json:"exit_status"`
	Reason     string    `json:"reason"`
	// Failure: it counts towards gostream.executor.maxNumFailures.
	Failure bool `json:"failure"`
}

// ReceiverStatus is a receiver's state.
type ReceiverStatus struct {
	StreamID  int    `json:"stream_id"`
	Name      string `json:"name"`
	Active    bool   `json:"active"`
	LastError string `json:"last_error,omitempty"`
}

// BatchStatus is a completed batch.
type BatchStatus struct {
	Time       time.Time     `json:"time"`
	Records    int64         `json:"records"`
	Scheduling time.Duration `json:"scheduling_delay_ns"`
	Processing time.Duration `json:"processing_ns"`
	TotalDelay time.Duration `json:"total_delay_ns"`
	Error      string        `json:"error,omitempty"`
}

// Recorder is a listener keeping the receivers and the recent batches for
// the status page.
type Recorder struct {
	engine.NopListener
	mu        sync.Mutex
	completed int64
	recent    []BatchStatus
	receivers map[int]ReceiverStatus
}

// NewRecorder returns an empty recorder; register it with the driver's
// context (engine.WithListener).
func NewRecorder() *Recorder {
	return &Recorder{receivers: map[int]ReceiverStatus{}}
}

func (l *Recorder) OnReceiverStarted(r engine.ReceiverInfo) { l.receiver(r) }
func (l *Recorder) OnReceiverStopped(r engine.ReceiverInfo) { l.receiver(r) }
func (l *Recorder) OnReceiverError(r engine.ReceiverInfo)   { l.receiver(r) }

func (l *Recorder) receiver(r engine.ReceiverInfo) {
	s := ReceiverStatus{StreamID: r.StreamID, Name: r.Name, Active: r.Active}
	if r.LastErr != nil {
		s.LastError = r.LastErr.Error()
	}
	l.mu.Lock()
	l.receivers[r.StreamID] = s
	l.mu.Unlock()
}

func (l *Recorder) OnBatchCompleted(b engine.BatchInfo) {
	s := BatchStatus{Time: b.BatchTime, Records: b.NumRecords(), Scheduling: b.SchedulingDelay(), Processing: b.ProcessingDelay(), TotalDelay: b.TotalDelay()}
	if b.Err != nil {
		s.Error = b.Err.Error()
	}
	l.mu.Lock()
	l.completed++
	l.recent = append(l.recent, s)
	if len(l.recent) > retainedBatches {
		l.recent = l.recent[len(l.recent)-retainedBatches:]
	}
	l.mu.Unlock()
}

// Snapshot fills the status's receivers and batches.
func (l *Recorder) Snapshot(st *Status) {
	l.mu.Lock()
	defer l.mu.Unlock()
	st.CompletedBatches, st.Batches = l.completed, append([]BatchStatus(nil), l.recent...)
	st.Receivers = st.Receivers[:0]
	for _, r := range l.receivers {
		st.Receivers = append(st.Receivers, r)
	}
	sort.Slice(st.Receivers, func(i, j int) bool { return st.Receivers[i].StreamID < st.Receivers[j].StreamID })
}
