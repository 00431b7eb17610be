//go:build !linux

package workspace

import "os"

// fileIdentity is Linux-only (switchyard's platform); elsewhere size and
// mtime alone tell a changed file.
func fileIdentity(os.FileInfo) (uint64, int64) { return 0, 0 }
