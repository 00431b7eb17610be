package tokenize

import "sync"

// wordCacheEntries bounds the word cache: two generations of at most half
// this many pieces of at most maxCachedWord bytes, a few MiB at worst.
const wordCacheEntries = 1 << 17

// genCache is a bounded map, safe for concurrent use, that remembers
// recently used entries. Agents resend the same code every turn, and even
// within one file most words repeat.
//
// It keeps two generations: lookups hit the current one or promote from
// the old one; when the current one is full it becomes the old one and the
// previous old one is dropped. That bounds memory like an LRU (at most
// twice the generation size) without per-entry bookkeeping.
type genCache[K comparable] struct {
	mu       sync.Mutex
	cur, old map[K]int
	half     int
	// own makes a key safe to keep: string keys are usually substrings of
	// a caller's larger text, which the cache must not keep alive.
	own func(K) K
}

// newGenCache returns a cache of at most entries entries; own, if not nil,
// is applied to every key the cache stores.
func newGenCache[K comparable](entries int, own func(K) K) *genCache[K] {
	half := max(entries/2, 1)
	if own == nil {
		own = func(k K) K { return k }
	}
	return &genCache[K]{cur: make(map[K]int, half), half: half, own: own}
}

func (c *genCache[K]) get(k K) (int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n, ok := c.cur[k]; ok {
		return n, true
	}
	n, ok := c.old[k]
	if ok {
		c.putLocked(k, n)
	}
	return n, ok
}

// put stores a count.
func (c *genCache[K]) put(k K, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(k, n)
}

func (c *genCache[K]) putLocked(k K, n int) {
	if len(c.cur) >= c.half {
		c.old, c.cur = c.cur, make(map[K]int, c.half)
	}
	c.cur[c.own(k)] = n
}

// len is the number of entries held, for tests.
func (c *genCache[K]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.cur) + len(c.old)
}
