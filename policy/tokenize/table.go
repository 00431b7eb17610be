package tokenize

import (
	"bytes"
	"hash/maphash"
	"math/bits"
)

// A vocabulary of 151,936 tokens and as many merges held in Go maps costs
// a string header and an allocation per token, which the garbage
// collector walks on every cycle, and a few dozen nanoseconds a lookup.
// The two tables below hold the same in a handful of pointer-free slices
// (the collector has nothing to scan in them) and find an entry with one
// hash and, usually, one probe.

// tokenTable maps token spellings to ids: the spellings end to end in one
// byte slice, and an open-addressing index of entry numbers.
type tokenTable struct {
	blob  []byte
	ends  []uint32 // entry i spans blob[ends[i-1]:ends[i]]
	ids   []int32
	slots []uint32 // 0 = empty, else entry number + 1
	shift uint
	seed  maphash.Seed
}

func newTokenTable(n, blobBytes int) *tokenTable {
	size := tableSize(n)
	return &tokenTable{
		blob:  make([]byte, 0, blobBytes),
		ends:  make([]uint32, 0, n),
		ids:   make([]int32, 0, n),
		slots: make([]uint32, size),
		shift: uint(64 - bits.TrailingZeros(uint(size))),
		seed:  maphash.MakeSeed(),
	}
}

// tableSize is the smallest power of two that n entries fill to at most
// three quarters: probes stay short.
func tableSize(n int) int {
	size := 8
	for size*3 < n*4 {
		size <<= 1
	}
	return size
}

func (t *tokenTable) entry(e uint32) []byte {
	start := uint32(0)
	if e > 0 {
		start = t.ends[e-1]
	}
	return t.blob[start:t.ends[e]]
}

// add adds s with id unless s is in the table; it reports whether it did.
// The table must have been made for at least as many entries.
func (t *tokenTable) add(s string, id int32) bool {
	i := t.home(maphash.String(t.seed, s))
	for ; t.slots[i] != 0; i = (i + 1) & uint64(len(t.slots)-1) {
		if string(t.entry(t.slots[i]-1)) == s {
			return false
		}
	}
	t.blob = append(t.blob, s...)
	t.ends = append(t.ends, uint32(len(t.blob)))
	t.ids = append(t.ids, id)
	t.slots[i] = uint32(len(t.ids))
	return true
}

func (t *tokenTable) get(s []byte) (int32, bool) {
	for i := t.home(maphash.Bytes(t.seed, s)); t.slots[i] != 0; i = (i + 1) & uint64(len(t.slots)-1) {
		if e := t.slots[i] - 1; bytes.Equal(t.entry(e), s) {
			return t.ids[e], true
		}
	}
	return 0, false
}

func (t *tokenTable) getString(s string) (int32, bool) {
	for i := t.home(maphash.String(t.seed, s)); t.slots[i] != 0; i = (i + 1) & uint64(len(t.slots)-1) {
		if e := t.slots[i] - 1; string(t.entry(e)) == s {
			return t.ids[e], true
		}
	}
	return 0, false
}

func (t *tokenTable) home(h uint64) uint64 { return h >> t.shift }

// pairTable maps a pair of token ids (pairKey) to a merge (rank<<32 |
// the token it makes), by open addressing with Fibonacci hashing.
type pairTable struct {
	keys  []uint64 // pairKey + 1; 0 = empty
	vals  []uint64
	shift uint
}

func newPairTable(n int) *pairTable {
	size := tableSize(n)
	return &pairTable{keys: make([]uint64, size), vals: make([]uint64, size),
		shift: uint(64 - bits.TrailingZeros(uint(size)))}
}

func (t *pairTable) home(k uint64) uint64 { return (k * 0x9E3779B97F4A7C15) >> t.shift }

// add adds k unless it is in the table; it reports whether it did.
func (t *pairTable) add(k, v uint64) bool {
	mask := uint64(len(t.keys) - 1)
	i := t.home(k)
	for ; t.keys[i] != 0; i = (i + 1) & mask {
		if t.keys[i] == k+1 {
			return false
		}
	}
	t.keys[i], t.vals[i] = k+1, v
	return true
}

func (t *pairTable) get(k uint64) (uint64, bool) {
	mask := uint64(len(t.keys) - 1)
	for i := t.home(k); t.keys[i] != 0; i = (i + 1) & mask {
		if t.keys[i] == k+1 {
			return t.vals[i], true
		}
	}
	return 0, false
}
