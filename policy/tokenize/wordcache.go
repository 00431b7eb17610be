package tokenize

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
)

// wordCacheEntries is the word cache's size: 1 MiB of slots.
const wordCacheEntries = 1 << 17

// wordCache remembers how many tokens recent pieces encode to. Agents
// resend the same code every turn, and even within one file most words
// repeat. It is a table of 64-bit words in sets of four (a piece may sit
// in any slot of the set its hash picks), each holding the piece's 64-bit
// hash (random seed) with the low 7 bits replaced by the count: a cached
// piece is at most maxCachedWord bytes, so at most 64 tokens, and the set
// number supplies those bits. A lookup reads four words and a store writes
// one, each atomically: no lock, no torn entry, no key kept alive, nothing
// for the garbage collector to scan. A wrong count is served only when two
// pieces' 64-bit hashes are equal.
type wordCache struct {
	seed  maphash.Seed
	slots []atomic.Uint64
}

const (
	wordCountBits = 7
	wordCountMask = 1<<wordCountBits - 1
	wordWays      = 4
	wordSetMask   = wordCacheEntries/wordWays - 1
)

func newWordCache() *wordCache {
	return &wordCache{seed: maphash.MakeSeed(), slots: make([]atomic.Uint64, wordCacheEntries)}
}

func (c *wordCache) set(h uint64) []atomic.Uint64 {
	i := (h & wordSetMask) * wordWays
	return c.slots[i : i+wordWays : i+wordWays]
}

func (c *wordCache) get(p string) (int, bool) {
	h := maphash.String(c.seed, p)
	set := c.set(h)
	for i := range set {
		if v := set[i].Load(); v != 0 && v>>wordCountBits == h>>wordCountBits {
			return int(v & wordCountMask), true
		}
	}
	return 0, false
}

// put stores a count in an empty slot of the piece's set, or over the slot
// the hash's high bits pick.
func (c *wordCache) put(p string, n int) {
	if n <= 0 || n > wordCountMask {
		return
	}
	h := maphash.String(c.seed, p)
	set := c.set(h)
	victim := &set[h>>62]
	for i := range set {
		if set[i].Load() == 0 {
			victim = &set[i]
			break
		}
	}
	victim.Store(h&^wordCountMask | uint64(n))
}

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
}

// newGenCache returns a cache of at most entries entries.
func newGenCache[K comparable](entries int) *genCache[K] {
	return &genCache[K]{cur: make(map[K]int), half: max(entries/2, 1)}
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
		c.old, c.cur = c.cur, make(map[K]int, len(c.cur))
	}
	c.cur[k] = n
}

// len is the number of entries held, for tests.
func (c *genCache[K]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.cur) + len(c.old)
}
