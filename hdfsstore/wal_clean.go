package hdfsstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"
)

// CleanReport says what Clean did.
type CleanReport struct {
	Removed []string // segments and temporary files deleted
	Ignored []string // entries that are not segments, left in place
}

// Clean deletes the stream's segments whose end time is at or before
// before, whole files at a time and judged by name alone, whether complete or
// torn. It also deletes temporary files named for such segments (left by
// tools that stage a segment before putting it in place); a temporary file for
// a later range may still be in use and stays.
//
// Entries that are not segments (foreign files, directories) are never
// deleted: they are listed in the report's Ignored. Segments and temporary
// files of other streams sharing the directory are skipped silently. A missing
// directory has nothing to clean. A failed removal does not stop the others;
// the failures come back joined.
func (w *WAL) Clean(ctx context.Context, before time.Time) (CleanReport, error) {
	var rep CleanReport
	infos, err := w.fsys.ReadDir(ctx, w.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return rep, nil
	}
	if err != nil {
		return rep, fmt.Errorf("clean WAL %s in %s: %w", w.stream, w.dir, err)
	}
	var errs []error
	for _, info := range infos {
		p := path.Join(w.dir, info.Name())
		if info.IsDir() {
			rep.Ignored = append(rep.Ignored, p)
			continue
		}
		// Temporary and committed files of a cleaned range go alike.
		base, _ := strings.CutPrefix(info.Name(), TempPrefix)
		n, err := ParseSegmentName(base)
		if err != nil {
			rep.Ignored = append(rep.Ignored, p)
			continue
		}
		if n.Stream != w.stream || n.End.After(before) {
			continue
		}
		err = w.fsys.Remove(ctx, p)
		switch {
		case err == nil:
			rep.Removed = append(rep.Removed, p)
		case errors.Is(err, fs.ErrNotExist):
			// another cleaner got there first
		case ctx.Err() != nil:
			return rep, fmt.Errorf("clean WAL %s in %s: %w", w.stream, w.dir, err)
		default:
			errs = append(errs, fmt.Errorf("remove WAL segment %s: %w", p, err))
		}
	}
	if len(errs) > 0 {
		return rep, fmt.Errorf("clean WAL %s in %s: %w", w.stream, w.dir, errors.Join(errs...))
	}
	return rep, nil
}
