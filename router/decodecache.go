package router

import (
	"container/list"
	"hash/maphash"
	"maps"
	"math/bits"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/ingress"
	"github.com/switchyard/switchyard/internal/par"
)

// Coding agents resend the whole conversation every turn: a 1 MiB request
// is usually the previous turn's messages plus one. requestDecoder decodes
// each distinct element of a dialect's message array once and keeps it,
// with what the Inspector found in it, by a seeded hash of its raw JSON
// and the dialect; the members around the messages (model, tools,
// options, a system prompt) are kept the same way as one piece. A turn that
// adds a message then costs cutting the body at its structure, hashing
// it, and decoding the new message.
//
// What it returns is exactly what the dialect's Decode returns for the
// same body (FuzzDecodeCached checks it): anything the fast path does not
// handle, every error, and a dialect that cannot be decoded a message at
// a time go to Decode.
type requestDecoder struct {
	seed     maphash.Seed
	messages *byteLRU[[]*decodedMessage]
	rests    *byteLRU[*decodedRest]
}

// decodeMemo is what the decoder kept of a request it served from its
// cache: an entry per message of the request, and one for the rest.
type decodeMemo struct {
	messages []*decodedMessage
	rest     *decodedRest
	// chain[i] identifies the prompt up to its message element i: what of
	// the members around the messages the prompt begins with (the rest's
	// prompt key) and the elements' keys, combined. Two turns of a
	// conversation share chain[i] as far as they agree.
	chain []uint64
}

// decodedRest is the request around the messages (model, tools, options)
// as decoded, with the credential kinds the Inspector found outside the
// messages (tools, stop, user, schema): an agent sends the same tool
// definitions every turn. Its own messages (a system prompt member) come
// first. Nobody may modify it.
type decodedRest struct {
	req      ingress.Request
	messages []*decodedMessage
	outside  atomic.Pointer[[]string]
	// prompt identifies what of it a model's prompt begins with: its own
	// messages and the tools. Requests of one conversation that differ
	// in the rest (the model asked for, the output budget, stream) share
	// it.
	prompt uint64
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

// An idle daemon keeps a quarter of each cache (idleCacheShare): the
// conversations of the last few requests, which a developer's agents are
// in between turns, and not what a burst of many left behind, which is
// rebuilt at the cost of one cold decision per conversation that comes
// back (tens of milliseconds beside a model's turn of seconds).
const idleCacheShare = 4

// trim lets go of the least recently used entries beyond what an idle
// daemon keeps.
func (d *requestDecoder) trim() {
	if d == nil {
		return
	}
	d.messages.trim(d.messages.max / idleCacheShare)
	d.rests.trim(d.rests.max / idleCacheShare)
}

func newRequestDecoder(messageBytes int64) *requestDecoder {
	if messageBytes <= 0 {
		return nil
	}
	return &requestDecoder{
		seed:     maphash.MakeSeed(),
		messages: newByteLRU[[]*decodedMessage](messageBytes),
		rests:    newByteLRU[*decodedRest](restCacheBytes),
	}
}

// decode is dl.Decode with the cache. The memo is nil unless the fast path
// served the body.
func (d *requestDecoder) decode(dl ingress.Dialect, r *http.Request, body []byte) (*ingress.Request, *decodeMemo, error) {
	md, ok := dl.(ingress.MessageDecoder)
	if d == nil || !ok {
		req, err := dl.Decode(r, body)
		return req, nil, err
	}
	s, ok := ingress.SplitBody(body, md.MessagesKey())
	if !ok {
		req, err := dl.Decode(r, body)
		return req, nil, err
	}
	rest := d.rest(md, r, s.Members)
	if rest == nil {
		req, err := dl.Decode(r, body)
		return req, nil, err
	}
	elems := make([][]*decodedMessage, len(s.Elements))
	keys := make([]cacheKey, len(s.Elements))
	var misses []int
	for i, raw := range s.Elements {
		keys[i] = d.key(md, raw)
		if e, ok := d.messages.get(keys[i]); ok {
			elems[i] = e
		} else {
			misses = append(misses, i)
		}
	}
	// A conversation seen for the first time is decoded on every core.
	var failed atomic.Bool
	par.Ranges(len(misses), func(j int) int { return len(s.Elements[misses[j]]) }, parallelBytes, func(lo, hi int) {
		for _, i := range misses[lo:hi] {
			if elems[i] = decodeElement(md, s.Elements[i]); elems[i] == nil {
				failed.Store(true)
				return
			}
		}
	})
	if failed.Load() {
		// Decode names the field and what is wrong.
		req, err := dl.Decode(r, body)
		return req, nil, err
	}
	for _, i := range misses {
		d.messages.put(keys[i], elems[i], int64(len(s.Elements[i])))
	}
	n := len(rest.messages)
	for _, e := range elems {
		n += len(e)
	}
	entries := make([]*decodedMessage, 0, n)
	entries = append(entries, rest.messages...)
	for _, e := range elems {
		entries = append(entries, e...)
	}
	req := new(chat.Request)
	*req = *rest.req.Chat
	req.Messages = make([]chat.Message, len(entries))
	for i, dm := range entries {
		req.Messages[i] = dm.msg
	}
	return &ingress.Request{Chat: req, Options: rest.req.Options}, &decodeMemo{messages: entries, rest: rest, chain: chainOf(rest.prompt, keys)}, nil
}

// chainOf combines the prompt key of the rest and the keys of a request's
// message elements in order (decodeMemo's chain). They are seeded hashes
// already; combining them needs only to be order-dependent.
func chainOf(rest uint64, keys []cacheKey) []uint64 {
	chain := make([]uint64, len(keys))
	h := rest
	for i, k := range keys {
		h = bits.RotateLeft64(h^k.h, 29)*0x9e3779b97f4a7c15 + uint64(k.n)
		chain[i] = h
	}
	return chain
}

// parallelBytes is the least new text decoded or inspected on more than
// one core.
const parallelBytes = 256 << 10

// key identifies raw bytes of dialect md.
func (d *requestDecoder) key(md ingress.MessageDecoder, raw []byte) cacheKey {
	var h maphash.Hash
	h.SetSeed(d.seed)
	h.WriteString(md.Name())
	h.WriteByte(0)
	h.Write(raw)
	return cacheKey{h.Sum64(), len(raw)}
}

// rest returns the request the members around the messages decode to,
// with only the messages of their own; nil when they do not decode.
func (d *requestDecoder) rest(md ingress.MessageDecoder, r *http.Request, members [][]byte) *decodedRest {
	var h maphash.Hash
	h.SetSeed(d.seed)
	h.WriteString(md.Name())
	h.WriteByte(0)
	h.WriteString(r.URL.Path)
	h.WriteByte(0)
	// The query may carry what the answer's form depends on (Gemini's
	// alt=sse).
	h.WriteString(r.URL.RawQuery)
	h.WriteByte(0)
	n := 0
	for _, m := range members {
		h.Write(m)
		h.WriteByte(',')
		n += len(m) + 1
	}
	k := cacheKey{h.Sum64(), n}
	if dr, ok := d.rests.get(k); ok {
		return dr
	}
	req, ok := md.DecodeRest(r, members)
	if !ok {
		return nil
	}
	dr := &decodedRest{req: *req, prompt: d.promptKey(md, req.Chat)}
	for _, m := range req.Chat.Messages {
		dr.messages = append(dr.messages, &decodedMessage{msg: m})
	}
	d.rests.put(k, dr, int64(n))
	return dr
}

// promptKey hashes what of req a prompt begins with: the messages of the
// rest (a system prompt member) and the tools.
func (d *requestDecoder) promptKey(md ingress.MessageDecoder, req *chat.Request) uint64 {
	var h maphash.Hash
	h.SetSeed(d.seed)
	h.WriteString(md.Name())
	for _, m := range req.Messages {
		h.WriteByte(0)
		h.WriteString(string(m.Role))
		h.WriteByte(0)
		h.WriteString(m.Text())
	}
	for _, t := range req.Tools {
		h.WriteByte(1)
		h.WriteString(t.Name)
		h.WriteByte(0)
		h.WriteString(t.Description)
		h.WriteByte(0)
		h.Write(t.Parameters)
	}
	return h.Sum64()
}

// decodeElement decodes one element of the message array; nil when it
// does not decode.
func decodeElement(md ingress.MessageDecoder, raw []byte) []*decodedMessage {
	msgs, ok := md.DecodeMessage(raw)
	if !ok {
		return nil
	}
	out := make([]*decodedMessage, len(msgs))
	for i := range msgs {
		out[i] = &decodedMessage{msg: msgs[i]}
	}
	return out
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

// cacheKey identifies raw bytes by a 64-bit hash with a random seed and
// the length. Serving a wrong entry takes two texts of one length with the
// same hash: for texts nobody chose, a lookup meets one with odds of the
// entries of its length (a few) in 2^64, under 10^-10 over a year of
// turns at a thousand a minute; and a text chosen to collide with another
// cannot be made without knowing the seed, which never leaves the process.
// (A CRC-32C beside it, as there was, added nothing against a chosen
// text, a CRC being linear, and cost a quarter of a warm decision.)
type cacheKey struct {
	h uint64
	n int
}

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
	c.evict(c.max)
}

// trim evicts the least recently used entries until the rest cost at most
// limit. A map does not shrink, so one that lost most of its entries is
// made again.
func (c *byteLRU[V]) trim(limit int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	before := len(c.items)
	c.evict(limit)
	if len(c.items) < before/2 {
		items := make(map[cacheKey]*list.Element, len(c.items))
		maps.Copy(items, c.items)
		c.items = items
	}
}

// evict removes the least recently used entries until size ≤ limit. The
// caller holds mu.
func (c *byteLRU[V]) evict(limit int64) {
	for c.size > limit {
		e := c.order.Back()
		it := e.Value.(*lruItem[V])
		c.order.Remove(e)
		delete(c.items, it.k)
		c.size -= it.cost
	}
}
