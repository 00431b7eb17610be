package main

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

func rssFileKiB(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "RssFile:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Skip("no RssFile in /proc/self/status")
	return 0
}

// TestReleaseMemory drops the executable's read-only pages and goes
// on running code (this test's own) and reading constants.
func TestReleaseMemory(t *testing.T) {
	before := rssFileKiB(t)
	releaseMemory()
	after := rssFileKiB(t)
	if after >= before {
		t.Errorf("RssFile %d KiB before, %d KiB after", before, after)
	}
	if versionString() == "" || strings.Repeat("ab", 3) != "ababab" {
		t.Error("the process cannot run after releasing its pages")
	}
	t.Logf("RssFile %d KiB -> %d KiB", before, after)
}
