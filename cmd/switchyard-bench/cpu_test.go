package main

import (
	"crypto/sha256"
	"os"
	"testing"
	"time"
)

// TestCPUTime reads this process's CPU time, which grows by about the
// work done in between, and fails on a process that does not exist.
func TestCPUTime(t *testing.T) {
	if _, err := os.Stat("/proc/self/task"); err != nil {
		t.Skip("no /proc:", err)
	}
	before, err := cpuTime(os.Getpid())
	if err != nil {
		t.Skip(err) // a kernel without schedstats
	}
	start := time.Now()
	b := []byte("switchyard")
	for time.Since(start) < 50*time.Millisecond {
		s := sha256.Sum256(b)
		b = s[:]
	}
	got, err := cpuTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if d := got - before; d < 20*time.Millisecond {
		t.Errorf("CPU time grew by %v over 50 ms of hashing", d)
	}
	// Each sleep puts this goroutine's thread off the CPU and back on.
	s0, err := readSchedstat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		time.Sleep(time.Millisecond)
	}
	s1, err := readSchedstat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if n := s1.slices - s0.slices; n < 20 {
		t.Errorf("threads were put on a CPU %d times over 20 sleeps", n)
	}
	if _, err := cpuTime(1 << 30); err == nil {
		t.Error("no error for a process that does not exist")
	}
}
