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
	s, err := readSchedstat(pid)
	return s.ran, err
}

// schedstat is a process's scheduler figures, summed over its threads.
type schedstat struct {
	// ran is how long its threads ran; slices how many times a thread
	// was put on a CPU (the third field): at concurrency 1, about how many
	// times the process was woken, which is what a lone request's latency
	// is mostly made of.
	ran    time.Duration
	slices int64
}

func readSchedstat(pid int) (schedstat, error) {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err != nil || len(tasks) == 0 {
		return schedstat{}, fmt.Errorf("no schedstat for process %d (%v)", pid, err)
	}
	var total schedstat
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue // the thread exited
		}
		f := bytes.Fields(b)
		if len(f) != 3 {
			return schedstat{}, fmt.Errorf("%s: %q", t, b)
		}
		ns, err1 := strconv.ParseInt(string(f[0]), 10, 64)
		n, err2 := strconv.ParseInt(string(f[2]), 10, 64)
		if err1 != nil || err2 != nil {
			return schedstat{}, fmt.Errorf("%s: %q", t, b)
		}
		total.ran += time.Duration(ns)
		total.slices += n
	}
	return total, nil
}
