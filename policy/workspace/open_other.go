//go:build !unix

package workspace

import "os"

// openNonBlocking opens name for reading; outside Unix there are no FIFOs
// in the filesystem to block on.
func openNonBlocking(name string) (*os.File, error) { return os.Open(name) }
