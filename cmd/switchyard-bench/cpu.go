package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// cpuTime is the CPU time the process pid has used: the sum over its
// threads of the first field of /proc/PID/task/TID/schedstat, the
// nanoseconds each thread ran (Documentation/scheduler/sched-stats.rst).
// utime and stime in /proc/PID/stat count in clock ticks (10 ms), too
// coarse for a request that costs a hundred microseconds.
//
// It is the steadier figure at concurrency 1: a lone request's latency is
// mostly thread wake-ups, and how long those take depends on where the
// scheduler happens to put each process, which changes from run to run
// (the bare hop's added latency ranged 190–414 µs over runs of the same
// code), while the work a hop does for a request does not.
func cpuTime(pid int) (time.Duration, error) {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err != nil || len(tasks) == 0 {
		return 0, fmt.Errorf("no schedstat for process %d (%v)", pid, err)
	}
	var total time.Duration
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue // the thread exited
		}
		f, _, _ := bytes.Cut(b, []byte(" "))
		ns, err := strconv.ParseInt(string(f), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %q", t, b)
		}
		total += time.Duration(ns)
	}
	return total, nil
}
