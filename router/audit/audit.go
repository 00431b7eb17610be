// Package audit keeps the egress log: one JSON line for every job that
// leaves the machine, written and synced before the job is sent, so a crash
// cannot hide an egress. It never holds prompt content.
package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Events a record may be.
const (
	// EventEgress is written before a job is sent to a cloud provider.
	EventEgress = "egress"
	// EventResult follows it with what the provider reported.
	EventResult = "result"
	// EventLocal counts a job served locally (in the usage log, never in
	// the egress log), for the local share.
	EventLocal = "local"
)

// Record is one line. It carries counts and routing facts, never content.
type Record struct {
	Time          time.Time `json:"time"`
	Event         string    `json:"event"`
	RequestID     string    `json:"request_id,omitempty"`
	Repo          string    `json:"repo,omitempty"`
	Privacy       string    `json:"privacy,omitempty"`
	PrivacySource string    `json:"privacy_source,omitempty"`
	Provider      string    `json:"provider"`
	Model         string    `json:"model,omitempty"`
	Estimated     int       `json:"estimated_prompt_tokens,omitempty"`
	Prompt        int       `json:"prompt_tokens,omitempty"`
	Completion    int       `json:"completion_tokens,omitempty"`
	Reasons       []string  `json:"reasons,omitempty"`
	Outcome       string    `json:"outcome,omitempty"`
}

// DefaultMaxBytes is when a log rotates.
const DefaultMaxBytes = 64 << 20

// keep is how many rotated files are kept (path.1 … path.keep).
const keep = 5

// Log appends records to a file, fsyncing each, and rotates it by size.
// It is safe for concurrent use.
type Log struct {
	path     string
	maxBytes int64
	// nosync skips the fsync: for the local usage tally, which proves
	// nothing and must not put a disk flush on every local answer.
	nosync bool
	mu     sync.Mutex
	f      *os.File
	size   int64
}

// Open opens (creating it and its directory) the log at path.
func Open(path string, maxBytes int64) (*Log, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	l := &Log{path: path, maxBytes: maxBytes}
	if err := l.open(); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *Log) open() error {
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("audit: %w", err)
	}
	l.f, l.size = f, st.Size()
	return l.endTornLine()
}

// endTornLine ends a last line a crash left half-written, so the next
// record starts a line of its own instead of being lost with it.
func (l *Log) endTornLine() error {
	if l.size == 0 {
		return nil
	}
	r, err := os.Open(l.path)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	defer r.Close()
	last := make([]byte, 1)
	if _, err := r.ReadAt(last, l.size-1); err != nil || last[0] == '\n' {
		return nil
	}
	n, err := l.f.Write([]byte("\n"))
	l.size += int64(n)
	return err
}

// OpenTally opens a log like Open whose writes are not synced: for counts
// that may be lost in a crash without hiding anything (the local usage
// tally), where a flush per answer would cost more than the answer.
func OpenTally(path string, maxBytes int64) (*Log, error) {
	l, err := Open(path, maxBytes)
	if err == nil {
		l.nosync = true
	}
	return l, err
}

// Path is the log's file.
func (l *Log) Path() string { return l.path }

// Write appends r and syncs it to disk before returning.
func (l *Log) Write(r Record) error {
	if r.Time.IsZero() {
		r.Time = time.Now().UTC()
	}
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	b = append(b, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return errors.New("audit: log is closed")
	}
	if l.size > 0 && l.size+int64(len(b)) > l.maxBytes {
		if err := l.rotate(); err != nil {
			return err
		}
	}
	n, err := l.f.Write(b)
	l.size += int64(n)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if l.nosync {
		return nil
	}
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("audit: sync: %w", err)
	}
	return nil
}

// rotate shifts path.N-1 → path.N … path → path.1 and starts a new file.
func (l *Log) rotate() error {
	l.f.Close()
	l.f = nil
	for i := keep - 1; i >= 1; i-- {
		os.Rename(fmt.Sprintf("%s.%d", l.path, i), fmt.Sprintf("%s.%d", l.path, i+1))
	}
	if err := os.Rename(l.path, l.path+".1"); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("audit: rotate: %w", err)
	}
	return l.open()
}

// Close closes the file.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// Files returns the log's files, oldest first, that exist.
func Files(path string) []string {
	var out []string
	for i := keep; i >= 1; i-- {
		p := fmt.Sprintf("%s.%d", path, i)
		if _, err := os.Stat(p); err == nil {
			out = append(out, p)
		}
	}
	if _, err := os.Stat(path); err == nil {
		out = append(out, path)
	}
	return out
}
