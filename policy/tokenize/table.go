package tokenize

import (
	"hash/maphash"
)

// A vocabulary of 151,936 tokens and as many merges held in Go maps costs
// a string header and an allocation per token, which the garbage
// collector walks on every cycle, and a few dozen nanoseconds a lookup.
// The two tables below hold the same in a handful of pointer-free slices
// (the collector has nothing to scan in them, and an idle daemon's memory
// is mostly them) and find an entry with one hash and, usually, one probe.

// tableSlots is how many slots n entries get: they fill three quarters.
func tableSlots(n int) int { return n*4/3 + 1 }

// slotOf maps a 64-bit hash onto [0, size) by its high half (Lemire's
// multiply-shift range reduction; no power-of-two size needed).
func slotOf(h uint64, size int) int { return int((h >> 32) * uint64(size) >> 32) }

// tokenTable maps tokens, as the bytes they stand for (not their
// byte-level spelling), to their ids.
type tokenTable struct {
	blob  []byte   // every token's bytes, in id order
	start []uint32 // token id's bytes are blob[start[id]:start[id+1]]
	slots []uint32 // 0 = empty, else id + 1
	seed  maphash.Seed
}

func newTokenTable(n, blobBytes int) *tokenTable {
	return &tokenTable{
		blob:  make([]byte, 0, blobBytes),
		start: make([]uint32, 1, n+1),
		slots: make([]uint32, tableSlots(n)),
		seed:  maphash.MakeSeed(),
	}
}

func (t *tokenTable) bytesOf(id int32) []byte { return t.blob[t.start[id]:t.start[id+1]] }

// append appends the next id's bytes without making them findable (an
// unused token, or one whose bytes an earlier id has).
func (t *tokenTable) append(raw []byte) int32 {
	t.blob = append(t.blob, raw...)
	t.start = append(t.start, uint32(len(t.blob)))
	return int32(len(t.start) - 2)
}

// index makes id findable by its bytes unless another id with the same
// bytes is; it reports whether it did.
func (t *tokenTable) index(id int32) bool {
	raw := t.bytesOf(id)
	i := slotOf(maphash.Bytes(t.seed, raw), len(t.slots))
	for ; t.slots[i] != 0; i = t.nextSlot(i) {
		if string(t.bytesOf(int32(t.slots[i]-1))) == string(raw) {
			return false
		}
	}
	t.slots[i] = uint32(id) + 1
	return true
}

func (t *tokenTable) nextSlot(i int) int {
	if i++; i == len(t.slots) {
		return 0
	}
	return i
}

func (t *tokenTable) get(raw []byte) (int32, bool) {
	for i := slotOf(maphash.Bytes(t.seed, raw), len(t.slots)); t.slots[i] != 0; i = t.nextSlot(i) {
		if id := int32(t.slots[i] - 1); string(t.bytesOf(id)) == string(raw) {
			return id, true
		}
	}
	return 0, false
}

func (t *tokenTable) getString(raw string) (int32, bool) {
	for i := slotOf(maphash.String(t.seed, raw), len(t.slots)); t.slots[i] != 0; i = t.nextSlot(i) {
		if id := int32(t.slots[i] - 1); string(t.bytesOf(id)) == raw {
			return id, true
		}
	}
	return 0, false
}

// pairTable maps a pair of adjacent tokens to the merge that joins them:
// its rank (its line in the merges list; lower merges first) and the
// token it makes. A slot holds all three, so a lookup touches one cache
// line: counting new text does little else.
type pairTable struct {
	slots []pairSlot
}

type pairSlot struct {
	key  uint64 // pairKey + 1; 0 = empty
	rank uint32
	made int32
}

func newPairTable(n int) *pairTable { return &pairTable{slots: make([]pairSlot, tableSlots(n))} }

func pairKey(l, r int32) uint64 { return uint64(uint32(l))<<32 | uint64(uint32(r)) }

func (t *pairTable) home(k uint64) int { return slotOf(k*0x9E3779B97F4A7C15, len(t.slots)) }

func (t *pairTable) nextSlot(i int) int {
	if i++; i == len(t.slots) {
		return 0
	}
	return i
}

// add adds the merge of rank unless its pair has a merge already (the
// first one listed wins); it reports whether it did.
func (t *pairTable) add(l, r int32, rank uint32, made int32) bool {
	k := pairKey(l, r) + 1
	i := t.home(k)
	for ; t.slots[i].key != 0; i = t.nextSlot(i) {
		if t.slots[i].key == k {
			return false
		}
	}
	t.slots[i] = pairSlot{key: k, rank: rank, made: made}
	return true
}

// get returns the merge of (l, r): its rank and the token it makes, or
// noRank.
func (t *pairTable) get(l, r int32) (uint32, int32) {
	k := pairKey(l, r) + 1
	for i := t.home(k); t.slots[i].key != 0; i = t.nextSlot(i) {
		if t.slots[i].key == k {
			return t.slots[i].rank, t.slots[i].made
		}
	}
	return noRank, 0
}
