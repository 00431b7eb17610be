package main

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// releaseCodePages drops this process's mappings of the read-only parts
// of its own executable (code, constants, tables): madvise(MADV_DONTNEED)
// on a private file mapping only removes page-table entries, and a page
// used later faults back in from the page cache with the same contents.
// Writable mappings (Go's data and bss) are never touched.
func releaseCodePages() {
	fi, err := os.Stat("/proc/self/exe")
	if err != nil {
		return
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return
	}
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// start-end perms offset dev inode path
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[1][1] == 'w' || fields[4] != strconv.FormatUint(st.Ino, 10) {
			continue
		}
		lo, hi, ok := strings.Cut(fields[0], "-")
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		syscall.Syscall(syscall.SYS_MADVISE, uintptr(start), uintptr(end-start), syscall.MADV_DONTNEED)
	}
}
