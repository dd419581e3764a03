package engine

import (
	"fmt"
	"time"

	"github.com/gostream/gostream/conf"
)

// settings are the configuration values the engine reads, resolved once.
type settings struct {
	master              string
	slots               int // task slots of the local master
	parallelism         int
	maxFailures         int // attempts of a task that may fail with its own error
	blockInterval       time.Duration
	blockQueueSize      int
	maxRate             int64
	restartDelay        time.Duration
	concurrentJobs      int
	continueOnFailure   bool // a failed batch does not stop the context (Spark's behaviour)
	gracefulStopTimeout time.Duration
	stopOnShutdown      bool
	networkTimeout      time.Duration
	fileRemember        time.Duration
	checkpointDir       string
	receiverWAL         bool
	stopMarker          string
	stopMarkerPoll      time.Duration
	leaseTimeout        time.Duration // the checkpoint directory's lease (lease.go)
	leaseRenewal        time.Duration
	storageRetry        time.Duration // how long HDFS calls wait out transient faults
}

func readSettings(c *conf.Conf, batch time.Duration) (settings, error) {
	s := settings{
		master:              c.String(conf.Master),
		parallelism:         c.Int(conf.DefaultParallelism),
		maxFailures:         c.Int(conf.TaskMaxFailures),
		blockInterval:       c.Duration(conf.BlockInterval),
		blockQueueSize:      c.Int(conf.BlockQueueSize),
		maxRate:             int64(c.Int(conf.ReceiverMaxRate)),
		restartDelay:        c.Duration(conf.ReceiverRestartDelay),
		concurrentJobs:      c.Int(conf.ConcurrentJobs),
		continueOnFailure:   c.String(conf.OnBatchFailure) == conf.BatchFailureContinue,
		gracefulStopTimeout: GracefulStopTimeout(c, batch),
		stopOnShutdown:      c.Bool(conf.StopGracefullyOnShutdown),
		networkTimeout:      c.Duration(conf.NetworkTimeout),
		checkpointDir:       c.String(conf.CheckpointDirectory),
		receiverWAL:         c.Bool(conf.ReceiverWALEnable),
		stopMarker:          c.String(conf.StopMarker),
		stopMarkerPoll:      c.Duration(conf.StopMarkerPollInterval),
		leaseTimeout:        c.Duration(conf.CheckpointLeaseTimeout),
		leaseRenewal:        c.Duration(conf.CheckpointLeaseRenewal),
		storageRetry:        c.Duration(conf.StorageRetryTimeout),
	}
	if s.leaseTimeout < 2*s.leaseRenewal {
		return s, fmt.Errorf("%s=%s must be at least twice %s=%s: a live driver's lease must not expire between two renewals",
			conf.CheckpointLeaseTimeout, s.leaseTimeout, conf.CheckpointLeaseRenewal, s.leaseRenewal)
	}
	m := c.Master()
	if m.YARN {
		return s, fmt.Errorf("master %s: run the application with gostream-submit --master yarn; this process can only run a local master", m)
	}
	s.slots = m.LocalSlots
	if s.parallelism <= 0 {
		s.parallelism = s.slots
	}
	// Spark rounds the file stream's memory up to whole batches.
	remember := c.Duration(conf.FileStreamMinRememberDuration)
	s.fileRemember = (remember + batch - 1) / batch * batch
	return s, nil
}

// maxPendingBlocks bounds a receiver's blocks not yet processed: the block
// queue plus two batches' worth of blocks.
func (s settings) maxPendingBlocks(batch time.Duration) int {
	perBatch := int((batch + s.blockInterval - 1) / s.blockInterval)
	return s.blockQueueSize + 2*perBatch
}

// storageTimeout bounds driver-side storage work: what it takes when
// storage answers (the network timeout, at least 30 s) plus the wait for
// storage to come back.
func (s settings) storageTimeout() time.Duration {
	return max(s.networkTimeout, 30*time.Second) + s.storageRetry
}

// GracefulStopTimeout is how long a graceful stop may take with
// configuration c: gostream.streaming.gracefulStopTimeout, else ten batches.
func GracefulStopTimeout(c *conf.Conf, batch time.Duration) time.Duration {
	if d := c.Duration(conf.GracefulStopTimeout); d > 0 {
		return d
	}
	return 10 * batch
}
