package router

import (
	"math"
	"slices"
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
// comes back while the member is taken to hold it still: an engine keeps
// one conversation per slot (Ollama's OLLAMA_NUM_PARALLEL, llama.cpp's
// --parallel; one unless the provider's slots says more), and a slot
// taken for another conversation is the one used least recently, as both
// engines choose when no slot holds the prompt's prefix.

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
	// held is, for each member, the conversations its slots hold, the
	// one served most recently last; unknown marks a slot holding a
	// request of no known conversation.
	held map[string][]uint64
}

const unknown = 0

func newAffinities() *affinities {
	return &affinities{convs: map[uint64]served{}, held: map[string][]uint64{}}
}

// use notes that member served conversation k (unknown for none) with
// slots slots: k takes the slot it had, or the one used least recently.
// The caller holds mu.
func (a *affinities) use(member string, k uint64, slots int) {
	h := a.held[member]
	if i := slices.Index(h, k); i >= 0 && k != unknown {
		h = slices.Delete(h, i, i+1)
	}
	h = append(h, k)
	if len(h) > max(1, slots) {
		h = slices.Delete(h, 0, len(h)-max(1, slots))
	}
	a.held[member] = h
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
	if !ok || s.member != member || !slices.Contains(a.held[member], k) || s.parts > len(c.chain) || c.chain[s.parts-1] != s.prefix {
		return 0
	}
	return s.tokens
}

// record notes that member, an engine of slots slots, began answering c,
// a prompt of tokens.
func (a *affinities) record(c *conversation, member string, slots, tokens int) {
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
	a.use(member, k, slots)
}

// forget notes that member served a request of no known conversation: one
// of its slots holds something else now.
func (a *affinities) forget(member string, slots int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.use(member, unknown, slots)
}

// queue is the predicted time of the jobs a provider is running or has
// waiting, in milliseconds, and how many they are.
type queue struct{ ms, n atomic.Int64 }

// add adds a job predicted to take s seconds and returns what removes it;
// calling that more than once removes it once.
func (q *queue) add(s float64) func() {
	ms := int64(math.Ceil(s * 1000))
	q.ms.Add(ms)
	q.n.Add(1)
	var once sync.Once
	return func() {
		once.Do(func() {
			q.ms.Add(-ms)
			q.n.Add(-1)
		})
	}
}

// jobs is how many jobs the queue holds.
func (q *queue) jobs() int { return int(q.n.Load()) }

func (q *queue) seconds() float64 {
	return float64(q.ms.Load()) / float64(time.Second/time.Millisecond)
}
