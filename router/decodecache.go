package router

import (
	"container/list"
	"encoding/json"
	"hash/crc32"
	"hash/maphash"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/internal/par"
)

// Coding agents resend the whole conversation every turn: a 1 MiB request
// is usually the previous turn's messages plus one. requestDecoder decodes
// each distinct message once and keeps it, with what the Inspector found
// in it, by a 128-bit hash of its raw JSON; the members around the
// messages (model, tools, options) are kept the same way as one piece. A
// turn that adds a message then costs cutting the body at its structure,
// hashing it, and decoding the new message.
//
// What it returns is exactly what decodeChatRequest returns for the same
// body (FuzzDecodeCached checks it): anything the fast path does not
// handle, and every error, goes to decodeChatRequest.
type requestDecoder struct {
	seed     maphash.Seed
	messages *byteLRU[*decodedMessage]
	rests    *byteLRU[*decodedRest]
}

// decodeMemo is what the decoder kept of a request it served from its
// cache: an entry per message and one for the rest.
type decodeMemo struct {
	messages []*decodedMessage
	rest     *decodedRest
}

// decodedRest is the request around the messages (model, tools, options)
// as decoded, with the credential kinds the Inspector found outside the
// messages (tools, stop, user, schema): an agent sends the same tool
// definitions every turn. Nobody may modify it.
type decodedRest struct {
	req     chat.Request
	outside atomic.Pointer[[]string]
}

// decodedMessage is a message as decoded, shared by every request that
// carries the same bytes: nobody may modify it.
type decodedMessage struct {
	msg   chat.Message
	facts atomic.Pointer[MessageFacts]
	// paths are where the files the message names may be, for the
	// directories its last request stated.
	paths atomic.Pointer[messagePaths]
}

type messagePaths struct {
	dirs, paths []string
}

// restCacheBytes bounds the cache of the members around the messages: a
// few dozen agents' tool lists.
const restCacheBytes = 2 << 20

func newRequestDecoder(messageBytes int64) *requestDecoder {
	if messageBytes <= 0 {
		return nil
	}
	return &requestDecoder{
		seed:     maphash.MakeSeed(),
		messages: newByteLRU[*decodedMessage](messageBytes),
		rests:    newByteLRU[*decodedRest](restCacheBytes),
	}
}

// decode is decodeChatRequest with the cache. The memo is nil unless the
// fast path served the body.
func (d *requestDecoder) decode(body []byte) (*chat.Request, *decodeMemo, *apiError) {
	if d == nil {
		req, e := decodeChatRequest(body)
		return req, nil, e
	}
	s, ok := splitChatRequest(body)
	if !ok {
		req, e := decodeChatRequest(body)
		return req, nil, e
	}
	rest := d.rest(s.members)
	if rest == nil {
		req, e := decodeChatRequest(body)
		return req, nil, e
	}
	req := new(chat.Request)
	*req = rest.req
	req.Raw = body
	req.Messages = make([]chat.Message, len(s.messages))
	entries := make([]*decodedMessage, len(s.messages))
	keys := make([]cacheKey, len(s.messages))
	var misses []int
	for i, raw := range s.messages {
		keys[i] = messageKey(d.seed, raw)
		if dm, ok := d.messages.get(keys[i]); ok {
			entries[i] = dm
		} else {
			misses = append(misses, i)
		}
	}
	// A conversation seen for the first time is decoded on every core.
	var failed atomic.Bool
	par.Ranges(len(misses), func(j int) int { return len(s.messages[misses[j]]) }, parallelBytes, func(lo, hi int) {
		for _, i := range misses[lo:hi] {
			if entries[i] = decodeRawMessage(s.messages[i]); entries[i] == nil {
				failed.Store(true)
				return
			}
		}
	})
	if failed.Load() {
		// decodeChatRequest names the field and what is wrong.
		req, e := decodeChatRequest(body)
		return req, nil, e
	}
	for _, i := range misses {
		d.messages.put(keys[i], entries[i], int64(len(s.messages[i])))
	}
	for i, dm := range entries {
		req.Messages[i] = dm.msg
	}
	return req, &decodeMemo{messages: entries, rest: rest}, nil
}

// parallelBytes is the least new text decoded or inspected on more than
// one core.
const parallelBytes = 256 << 10

// rest returns the request the members around the messages decode to,
// without messages; nil when they do not decode.
func (d *requestDecoder) rest(members [][]byte) *decodedRest {
	var h maphash.Hash
	h.SetSeed(d.seed)
	c, n := uint32(0), 0
	for _, m := range members {
		h.Write(m)
		h.WriteByte(',')
		c = crc32.Update(c, castagnoli, m)
		n += len(m) + 1
	}
	k := cacheKey{h.Sum64(), c, n}
	if r, ok := d.rests.get(k); ok {
		return r
	}
	obj := make([]byte, 0, n+2)
	obj = append(obj, '{')
	for i, m := range members {
		if i > 0 {
			obj = append(obj, ',')
		}
		obj = append(obj, m...)
	}
	obj = append(obj, '}')
	var w oaRequest
	if err := json.Unmarshal(obj, &w); err != nil || w.Messages != nil {
		return nil
	}
	r, e := decodeRequestFields(&w)
	if e != nil {
		return nil
	}
	dr := &decodedRest{req: *r}
	d.rests.put(k, dr, int64(n))
	return dr
}

func messageKey(seed maphash.Seed, raw []byte) cacheKey {
	return cacheKey{maphash.Bytes(seed, raw), crc32.Checksum(raw, castagnoli), len(raw)}
}

// decodeRawMessage decodes one element of messages; nil when it does not
// decode.
func decodeRawMessage(raw []byte) *decodedMessage {
	var w oaMessage
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil
	}
	dm := new(decodedMessage)
	if decodeMessage(&w, &dm.msg, "") != nil {
		return nil
	}
	return dm
}

// outsideFor returns what the inspector finds outside req's messages, from
// dr when it has it.
func (dr *decodedRest) outsideFor(in Inspector, req *chat.Request) []string {
	if o := dr.outside.Load(); o != nil {
		return *o
	}
	o := in.Outside(req)
	dr.outside.Store(&o)
	return o
}

// pathsFor returns filePaths(f.Files, dirs), from dm when it has the
// answer for the same directories (a conversation's turns state the same).
func (dm *decodedMessage) pathsFor(f *MessageFacts, dirs []string) []string {
	if mp := dm.paths.Load(); mp != nil && slices.Equal(mp.dirs, dirs) {
		return mp.paths
	}
	mp := &messagePaths{dirs: slices.Clone(dirs), paths: filePaths(f.Files, dirs)}
	dm.paths.Store(mp)
	return mp.paths
}

// factsFor returns what the inspector finds in m, from dm when it has it.
func (dm *decodedMessage) factsFor(in Inspector) *MessageFacts {
	if f := dm.facts.Load(); f != nil {
		return f
	}
	f := in.Message(&dm.msg)
	dm.facts.Store(&f)
	return &f
}

// cacheKey identifies raw bytes by a 64-bit hash with a random seed, a
// CRC-32C and the length. Serving a wrong entry takes two texts of one
// length that agree on both: about 2^-96 for texts nobody chose, and a
// text chosen to collide with another cannot be made without knowing the
// seed, which never leaves the process. (Two seeded 64-bit hashes would
// be stronger still and cost twice as much time; the CRC runs at over
// twice maphash's speed.)
type cacheKey struct {
	h   uint64
	crc uint32
	n   int
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// byteLRU is a least-recently-used cache bounded by the bytes its entries
// stand for. It is safe for concurrent use.
type byteLRU[V any] struct {
	mu    sync.Mutex
	max   int64
	size  int64
	items map[cacheKey]*list.Element
	order list.List // front: most recent
}

type lruItem[V any] struct {
	k    cacheKey
	v    V
	cost int64
}

func newByteLRU[V any](max int64) *byteLRU[V] {
	return &byteLRU[V]{max: max, items: make(map[cacheKey]*list.Element)}
}

func (c *byteLRU[V]) get(k cacheKey) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[k]
	if !ok {
		var zero V
		return zero, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*lruItem[V]).v, true
}

// put adds v at a cost; an entry costing more than the whole cache is not
// kept.
func (c *byteLRU[V]) put(k cacheKey, v V, cost int64) {
	if cost > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[k]; ok {
		return
	}
	c.items[k] = c.order.PushFront(&lruItem[V]{k: k, v: v, cost: cost})
	c.size += cost
	for c.size > c.max {
		e := c.order.Back()
		it := e.Value.(*lruItem[V])
		c.order.Remove(e)
		delete(c.items, it.k)
		c.size -= it.cost
	}
}
