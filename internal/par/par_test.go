package par

import (
	"runtime"
	"slices"
	"sync"
	"testing"
)

func TestRangesCoverEachItemOnce(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	for _, c := range []struct {
		sizes    []int
		minTotal int
		runs     int
	}{
		{[]int{10, 10, 10, 10, 10, 10, 10, 10}, 1, 4},
		{[]int{100, 1, 1, 1, 1}, 1, 4},
		{[]int{1, 1, 1, 1, 100}, 1, 4},
		{[]int{5, 5}, 1, 2},
		{[]int{5, 5, 5}, 1000, 1}, // too little to share
		{[]int{7}, 1, 1},
		{nil, 1, 1},
	} {
		var mu sync.Mutex
		seen := make([]int, len(c.sizes))
		runs := 0
		Ranges(len(c.sizes), func(i int) int { return c.sizes[i] }, c.minTotal, func(lo, hi int) {
			mu.Lock()
			defer mu.Unlock()
			runs++
			for i := lo; i < hi; i++ {
				seen[i]++
			}
		})
		if slices.ContainsFunc(seen, func(n int) bool { return n != 1 }) {
			t.Errorf("%v: items seen %v times", c.sizes, seen)
		}
		if runs > c.runs || (c.runs == 1 && runs != 1) {
			t.Errorf("%v: %d runs, want at most %d", c.sizes, runs, c.runs)
		}
	}
}

func TestRangesOneCore(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	runs := 0
	Ranges(100, func(int) int { return 1 << 20 }, 1, func(lo, hi int) {
		runs++
		if lo != 0 || hi != 100 {
			t.Errorf("[%d, %d)", lo, hi)
		}
	})
	if runs != 1 {
		t.Errorf("%d runs on one core", runs)
	}
}
