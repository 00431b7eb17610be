// Package par shares a run of independent work items out among the cores
// when there is enough of it to be worth a goroutine.
package par

import (
	"runtime"
	"sync"
)

// maxWorkers caps the goroutines one call starts.
const maxWorkers = 4

// Ranges calls fn on contiguous runs [lo, hi) of the n items, together
// covering all of them, each run holding about an equal share of their
// total size (size(i) is item i's). When the total is under minTotal or
// only one core is available, it calls fn(0, n) on the caller's goroutine.
// It returns when every call has.
func Ranges(n int, size func(i int) int, minTotal int, fn func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), maxWorkers, n)
	total := 0
	if workers > 1 {
		for i := range n {
			total += size(i)
		}
	}
	if workers < 2 || total < minTotal {
		fn(0, n)
		return
	}
	share := total / workers
	var wg sync.WaitGroup
	for lo, w := 0, 0; lo < n; w++ {
		hi, got := lo, 0
		for hi < n && (got < share || hi == lo || w == workers-1) {
			got += size(hi)
			hi++
		}
		from, to := lo, hi
		wg.Go(func() { fn(from, to) })
		lo = hi
	}
	wg.Wait()
}
