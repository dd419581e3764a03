package engine

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gostream/gostream/hdfsstore"
)

// The checkpoint payload, stored by hdfsstore.WriteCheckpoint as the opaque
// payload of <checkpointDir>/checkpoint-<lastGeneratedMs>. It is data, never
// code: the setup function rebuilds the graph, and the fingerprint says
// whether the graph is the one that wrote the checkpoint.
//
// Format: one JSON object (UTF-8), checkpointData below. Times are Unix
// milliseconds. Version 1 fields:
//
//	version          1; a reader refuses higher versions (ErrCheckpointVersion)
//	conf             the explicitly set configuration keys as NAME=value lines
//	                 (informational: the running process's configuration wins)
//	fingerprint      graph.fingerprint() of the writer
//	graph            graph.describe(): one line per operator and output
//	batchMs, zeroMs  batch duration; the time before the first batch
//	lastGeneratedMs  newest generated batch (also the file's name)
//	lastCompletedMs  newest batch that completed, with every snapshot due
//	                 at or before it saved
//	pendingMs        generated batches not completed: re-run on recovery
//	inputs           node id → that input's progress (file streams: the
//	                 files each batch took, for as long as a window or a
//	                 state replay may re-create it; queue streams: pushes
//	                 taken at each remembered batch)
//	snapshots        state files: node id, batch time, path of a file under
//	                 <checkpointDir>/state/ (format: state_snapshot.go).
//	                 A stateful node's newest snapshot at or before
//	                 lastCompletedMs: snapshots are taken every checkpoint
//	                 interval (checkpoint_interval.go), and recovery
//	                 recomputes the state of the completed batches after it
//	                 from their inputs; a node with a snapshot span lists
//	                 every snapshot of that span
//	blocks           receiver blocks allocated to the batches the checkpoint
//	                 needs: batch, stream, WAL record refs
//	                 (hdfsstore.RecordRef), counts. Batches after
//	                 lastCompletedMs are pending; those at or before it are
//	                 completed batches a window or a state replay still
//	                 reads (within the stream's retention), re-created on
//	                 recovery.
//	                 Older writers listed pending batches only; a reader
//	                 accepts both, and an older reader skips completed ones.
//	receiverOffsets  stream id → the offset a reliable receiver stored with
//	                 its newest block (OffsetSink)
//
// Unknown fields are ignored, so a version-1 reader accepts additions that
// older readers may safely skip; anything else bumps the version.
const checkpointFormatVersion = 1

// ErrCheckpointVersion: the checkpoint was written by a newer gostream whose
// format this binary does not know. Upgrade the binary, or move the
// checkpoint directory aside to start without its state.
var ErrCheckpointVersion = errors.New("checkpoint written by a newer gostream")

type checkpointData struct {
	Version         int                     `json:"version"`
	Conf            []string                `json:"conf,omitempty"`
	Fingerprint     string                  `json:"fingerprint"`
	Graph           []string                `json:"graph"`
	BatchMs         int64                   `json:"batchMs"`
	ZeroMs          int64                   `json:"zeroMs"`
	LastGeneratedMs int64                   `json:"lastGeneratedMs"`
	LastCompletedMs int64                   `json:"lastCompletedMs"`
	PendingMs       []int64                 `json:"pendingMs,omitempty"`
	Inputs          map[int]json.RawMessage `json:"inputs,omitempty"`
	Snapshots       []snapshotRef           `json:"snapshots,omitempty"`
	Blocks          []allocatedBlocks       `json:"blocks,omitempty"`
	ReceiverOffsets map[int]string          `json:"receiverOffsets,omitempty"`
}

// snapshotRef locates the saved RDD of one node at one batch time.
type snapshotRef struct {
	Node   int    `json:"node"`
	TimeMs int64  `json:"timeMs"`
	Path   string `json:"path"`
}

// allocatedBlocks are the blocks one batch took from one stream.
type allocatedBlocks struct {
	BatchMs int64       `json:"batchMs"`
	Stream  int         `json:"stream"`
	Blocks  []blockMeta `json:"blocks"`
}

// blockMeta is what the driver keeps of a block written to the WAL.
type blockMeta struct {
	Ref     hdfsstore.RecordRef `json:"ref"`
	Records int                 `json:"records"`
	Offset  *string             `json:"offset,omitempty"`
}

func (d *checkpointData) marshal() ([]byte, error) {
	d.Version = checkpointFormatVersion
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("encode checkpoint: %w", err)
	}
	return b, nil
}

// unmarshalCheckpoint decodes a payload, checking the version first so that
// a newer format is reported as such rather than as garbage.
func unmarshalCheckpoint(name string, b []byte) (*checkpointData, error) {
	var v struct {
		Version int `json:"version"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("decode checkpoint %s: not a gostream checkpoint payload: %w", name, err)
	}
	switch {
	case v.Version > checkpointFormatVersion:
		return nil, fmt.Errorf("decode checkpoint %s: payload version %d, this binary reads up to %d: %w; "+
			"run the newer binary, or move the checkpoint directory aside to start afresh",
			name, v.Version, checkpointFormatVersion, ErrCheckpointVersion)
	case v.Version < 1:
		return nil, fmt.Errorf("decode checkpoint %s: payload has no version", name)
	}
	d := &checkpointData{}
	if err := json.Unmarshal(b, d); err != nil {
		return nil, fmt.Errorf("decode checkpoint %s: %w", name, err)
	}
	if d.BatchMs <= 0 || d.LastGeneratedMs < d.LastCompletedMs {
		return nil, fmt.Errorf("decode checkpoint %s: inconsistent times (batch %d ms, last generated %d, last completed %d)",
			name, d.BatchMs, d.LastGeneratedMs, d.LastCompletedMs)
	}
	return d, nil
}
