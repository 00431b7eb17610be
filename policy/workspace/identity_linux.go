package workspace

import (
	"os"
	"syscall"
)

// fileIdentity returns the inode and ctime that, with size and mtime, tell
// a changed or replaced file from the one we read: an editor that saves by
// rename gives a new inode, and ctime moves even when a write keeps the
// size and restores the mtime.
func fileIdentity(fi os.FileInfo) (ino uint64, ctimeNS int64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Ino, st.Ctim.Sec*1e9 + st.Ctim.Nsec
	}
	return 0, 0
}
