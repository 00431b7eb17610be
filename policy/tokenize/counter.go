package tokenize

import (
	"hash/maphash"
	"strings"
	"sync/atomic"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/internal/par"
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
	prompts  promptMemos
}

// counterState is what SetVocabulary swaps.
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
		messages: newGenCache[chunkKey](messageCacheEntries),
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

// Trim lets go of the prompts remembered beyond the most recent quarter
// of what is kept while busy (a memo holds its prompt's long strings,
// which outlive the requests that brought them). Call it when idle.
func (c *Counter) Trim() { c.prompts.trim(promptMemoBytes / 4) }

// Exact reports whether counts use the model's own vocabulary. A request's
// count may still be inexact when its rendering is (Count.Exact says).
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

// CountRequest returns the prompt tokens req costs a model that reads
// Qwen3's chat template (RenderPrompt): every message, the tool
// definitions, and the generation prompt. The output budget
// (req.MaxTokens) is the caller's to add. The count is exact when the
// vocabulary is known, for a model that reads that template.
func (c *Counter) CountRequest(req *chat.Request) Count {
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

// CountPrompt returns the tokens of the prompt r renders for in, exact
// when the vocabulary is known. It fails when r cannot render in (see
// Renderer.Render); nothing is counted then.
//
// The whole prompt is rendered every time and counted from where an
// earlier prompt of the same conversation agrees with it (promptMemo),
// and the text between added tokens through the segment cache, so a turn
// that adds a message costs rendering and comparing, and counting what
// is new.
func (c *Counter) CountPrompt(r *Renderer, in *PromptInput) (Count, error) {
	s := c.state.Load()
	buf := getPromptBuffer()
	if err := r.renderTo(buf, in); err != nil {
		putPromptBuffer(buf)
		return Count{}, err
	}
	n := c.countPrompt(s, buf)
	putPromptBuffer(buf)
	return Count{Tokens: n, Exact: s.bpe != nil}, nil
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

// minCachedSegment is the shortest segment whose count is cached: below
// it, hashing and a locked lookup cost about what counting through the
// word cache does.
const minCachedSegment = 64

// countPrompt counts a rendered prompt segment by segment. Added tokens
// split text before the pre-tokenizer runs, so the count of the prompt is
// the sum of the counts of the text between them, plus one for each. A
// message's content lies between the template's added tokens, so the
// segments that hold it recur unchanged turn after turn and their counts
// come from the cache, whatever the template.
func (c *Counter) countPrompt(s *counterState, buf *promptBuffer) int {
	prompt := buf.view()
	sp := qwenSpecials
	if s.bpe != nil {
		sp = s.bpe.specials
	}
	// Resume where an earlier prompt of the same conversation agrees
	// with this one (see promptMemo).
	base, common := c.prompts.recall(prompt, buf.refs, s.gen)
	start, total := 0, 0
	var marks []promptMark
	if base != nil {
		if i := base.resumeAt(common, sp.longest); i >= 0 {
			start, total = base.marks[i].at, base.marks[i].tokens
			marks = append(make([]promptMark, 0, len(base.marks)+64), base.marks[:i+1]...)
		}
	}
	units := splitUnits(prompt, start, sp)
	counts := make([]int, len(units))
	c.countUnits(s, prompt, units, counts)
	for i, u := range units {
		total += counts[i]
		if u.special {
			total++
			marks = append(marks, promptMark{at: u.next, tokens: total})
		}
	}
	if memorable(len(prompt)) {
		c.prompts.remember(newPromptMemo(buf, s.gen, marks), base, common)
	}
	return total
}

// promptUnit is the text between two added tokens, and the token after it
// unless the prompt ends first.
type promptUnit struct {
	from, to int  // the text
	next     int  // where the next unit starts
	special  bool // an added token lies between to and next
}

// splitUnits cuts prompt[start:] at its added tokens.
func splitUnits(prompt string, start int, sp *specials) []promptUnit {
	var units []promptUnit
	for pos := start; pos < len(prompt); {
		at, l := sp.next(prompt[pos:])
		units = append(units, promptUnit{from: pos, to: pos + at, next: pos + at + l, special: l > 0})
		pos += at + l
	}
	return units
}

// parallelCountBytes is the least text counted on more than one core:
// a cold megabyte takes tens of milliseconds on one.
const parallelCountBytes = 256 << 10

// countUnits sets counts[i] to the tokens of units[i]'s text. Units are
// independent, so a large prompt is shared out among the cores.
func (c *Counter) countUnits(s *counterState, prompt string, units []promptUnit, counts []int) {
	par.Ranges(len(units), func(i int) int { return units[i].to - units[i].from }, parallelCountBytes, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			n := 0
			for seg := prompt[units[i].from:units[i].to]; seg != ""; {
				end := paragraphEnd(seg)
				n += c.countSegment(s, seg[:end])
				seg = seg[end:]
			}
			counts[i] = n
		}
	})
}

// paragraphEnd returns where the first paragraph of seg ends: after a
// blank line ("\n\n") that is followed by a character that is not
// whitespace, or at the end of seg.
//
// The qwen2 pre-tokenizer always ends a piece there: whatever piece holds
// the newlines (\s*[\r\n]+, or punctuation's trailing [\r\n]*) stops at
// the last of them, and nothing else crosses a newline. So the count of
// seg is the sum of the counts of its paragraphs. It matters because
// Ollama's templates join consecutive messages of one role with "\n\n"
// into one message: split there, each message keeps its cached count
// however many follow it.
func paragraphEnd(seg string) int {
	for i := 0; ; {
		j := strings.Index(seg[i:], "\n\n")
		if j < 0 {
			return len(seg)
		}
		k := i + j + 2
		for k < len(seg) && seg[k] == '\n' {
			k++
		}
		if k == len(seg) {
			return k
		}
		if c, _ := classAt(seg, k); c != classSpace && c != classNewline {
			return k
		}
		i = k
	}
}

// countSegment counts text that holds no added token.
func (c *Counter) countSegment(s *counterState, seg string) int {
	count := func() int {
		if s.bpe == nil {
			return Estimate(seg)
		}
		return s.bpe.countOrdinary(seg)
	}
	if len(seg) < minCachedSegment {
		return count()
	}
	k := c.key(chunk{seg}, s.gen)
	if n, ok := c.messages.get(k); ok {
		return n
	}
	n := count()
	c.messages.put(k, n)
	return n
}
