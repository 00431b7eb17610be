package tokenize

import (
	"hash/maphash"
	"sync/atomic"

	"github.com/switchyard/switchyard/providers"
)

// Count is a number of tokens and how it was arrived at.
type Count struct {
	Tokens int
	// Exact is true when Tokens came from the model's own vocabulary, and
	// false when it is Estimate's upper estimate.
	Exact bool
}

// messageCacheEntries bounds the per-message cache. An entry is a few
// dozen bytes whatever the message's size.
const messageCacheEntries = 1 << 16

// Counter counts what the local model will see for a request. It starts
// with the heuristic estimator; SetVocabulary switches it to exact counts
// once the model's vocabulary is known (from Ollama's /api/show). It is
// safe for concurrent use.
//
// Coding agents resend the whole conversation every turn, so Counter
// caches the count of each rendered message by a 128-bit hash of its text:
// a turn that adds one message costs hashing the others and counting that
// one.
type Counter struct {
	state    atomic.Pointer[counterState]
	messages *genCache[chunkKey]
	seeds    [2]maphash.Seed
}

// counterState is what SetVocabulary swaps as one.
type counterState struct {
	bpe *BPE
	// gen tells cache entries of one tokenizer from another's, so that a
	// count made just before a swap is never served after it.
	gen uint64
}

// chunkKey identifies a rendered chunk by its text and the tokenizer that
// counted it.
type chunkKey struct {
	h1, h2 uint64
	length int
	gen    uint64
}

// NewCounter returns a Counter that estimates until SetVocabulary.
func NewCounter() *Counter {
	c := &Counter{
		messages: newGenCache[chunkKey](messageCacheEntries, nil),
		seeds:    [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()},
	}
	c.state.Store(&counterState{})
	return c
}

// SetVocabulary makes counts exact with b, or estimated again if b is nil.
func (c *Counter) SetVocabulary(b *BPE) {
	for {
		old := c.state.Load()
		if c.state.CompareAndSwap(old, &counterState{bpe: b, gen: old.gen + 1}) {
			return
		}
	}
}

// Exact reports whether counts are currently exact.
func (c *Counter) Exact() bool { return c.state.Load().bpe != nil }

// Count counts text alone, without any template. Added tokens in it count
// one each.
func (c *Counter) Count(text string) Count {
	return c.state.Load().count(text)
}

func (s *counterState) count(text string) Count {
	if s.bpe == nil {
		return Count{Tokens: Estimate(text)}
	}
	return Count{Tokens: s.bpe.Count(text), Exact: true}
}

// CountRequest returns the prompt tokens req costs the local model: every
// message rendered through Qwen3's chat template, the tool definitions in
// the system turn, and the generation prompt. The output budget
// (req.MaxTokens) is the caller's to add.
func (c *Counter) CountRequest(req *providers.Request) Count {
	s := c.state.Load()
	total := 0
	for _, ch := range renderChunks(req) {
		k := c.key(ch, s.gen)
		if n, ok := c.messages.get(k); ok {
			total += n
			continue
		}
		n := s.count(ch.String()).Tokens
		c.messages.put(k, n)
		total += n
	}
	return Count{Tokens: total, Exact: s.bpe != nil}
}

// key hashes a chunk's text without building it. Two independent 64-bit
// hashes make a collision (a wrong count served) as unlikely as a 128-bit
// one; the length rules out most even before that.
func (c *Counter) key(ch chunk, gen uint64) chunkKey {
	var h1, h2 maphash.Hash
	h1.SetSeed(c.seeds[0])
	h2.SetSeed(c.seeds[1])
	n := 0
	for _, p := range ch {
		h1.WriteString(p)
		h2.WriteString(p)
		n += len(p)
	}
	return chunkKey{h1.Sum64(), h2.Sum64(), n, gen}
}
