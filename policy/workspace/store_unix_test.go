//go:build unix

package workspace

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/switchyard/switchyard/policy"
)

// A FIFO named .switchyard.yaml would block a plain open(2) until a writer
// came, hanging the request; it must fail closed at once instead.
func TestStoreFIFODoesNotHang(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, FileName)
	if err := syscall.Mkfifo(f, 0o644); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	s, _ := newTestStore(t)
	p := s.Lookup(dir)
	if p.Privacy != policy.Private || p.File != f || p.Err == nil || !strings.Contains(p.Err.Error(), "not a regular file") {
		t.Fatalf("%+v", p)
	}
}
