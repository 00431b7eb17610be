//go:build unix

package workspace

import (
	"os"
	"syscall"
)

// openNonBlocking opens name for reading without blocking: a FIFO named
// .switchyard.yaml would otherwise hang open(2) until a writer appears,
// and with it the request being routed.
func openNonBlocking(name string) (*os.File, error) {
	return os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}
