package router

import (
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// A local engine keeps the prompt it last processed in its cache (Ollama's
// runner reuses the longest prefix a slot's cache shares with the next
// prompt), so the next turn of that conversation on that engine prefills
// only what it adds: the seed's six-minute prefill is paid once. The
// router remembers which pool member served each conversation last, and
// how much of the prompt that was, and credits it when the conversation
// comes back and nothing else has been served there since (one slot,
// Ollama's default for a large model: a conservative reading, since an
// engine with more slots keeps more).

// maxConversations bounds the memory: the oldest conversation is
// forgotten first.
const maxConversations = 4096

// conversation is a request's identity as far as a cache can tell: its
// chain of parts (decodeMemo.chain). nil when the decoder's fast path did
// not serve the request; such a request is credited nothing.
type conversation struct {
	chain []uint64
}

func conversationOf(memo *decodeMemo) *conversation {
	if memo == nil || len(memo.chain) == 0 {
		return nil
	}
	return &conversation{chain: memo.chain}
}

// key is what a conversation's turns share: the members around the
// messages and the first message element.
func (c *conversation) key() uint64 { return c.chain[0] }

// served is what a member last served of a conversation.
type served struct {
	member string
	// parts is how many message elements that request had, and prefix
	// its chain there.
	parts  int
	prefix uint64
	tokens int
}

type affinities struct {
	mu    sync.Mutex
	convs map[uint64]served
	order []uint64
	// last is the conversation each member served last.
	last map[string]uint64
}

func newAffinities() *affinities {
	return &affinities{convs: map[uint64]served{}, last: map[string]uint64{}}
}

// cached returns how many of c's prompt tokens member holds: those of the
// request it served last, when that was c's and c still begins with it.
func (a *affinities) cached(c *conversation, member string) int {
	if c == nil {
		return 0
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	k := c.key()
	s, ok := a.convs[k]
	if !ok || s.member != member || a.last[member] != k || s.parts > len(c.chain) || c.chain[s.parts-1] != s.prefix {
		return 0
	}
	return s.tokens
}

// record notes that member began answering c, a prompt of tokens.
func (a *affinities) record(c *conversation, member string, tokens int) {
	if c == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	k := c.key()
	if _, ok := a.convs[k]; !ok {
		if len(a.order) >= maxConversations {
			delete(a.convs, a.order[0])
			a.order = a.order[1:]
		}
		a.order = append(a.order, k)
	}
	a.convs[k] = served{member: member, parts: len(c.chain), prefix: c.chain[len(c.chain)-1], tokens: tokens}
	a.last[member] = k
}

// forget notes that member served a request of no known conversation: its
// cache holds something else now.
func (a *affinities) forget(member string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.last, member)
}

// queue is the predicted time of the jobs a provider is running or has
// waiting, in milliseconds.
type queue struct{ ms atomic.Int64 }

// add adds a job predicted to take s seconds and returns what removes it;
// calling that more than once removes it once.
func (q *queue) add(s float64) func() {
	ms := int64(math.Ceil(s * 1000))
	q.ms.Add(ms)
	var once sync.Once
	return func() { once.Do(func() { q.ms.Add(-ms) }) }
}

func (q *queue) seconds() float64 {
	return float64(q.ms.Load()) / float64(time.Second/time.Millisecond)
}
