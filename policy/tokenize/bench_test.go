package tokenize_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/policy/tokenize"
	"github.com/switchyard/switchyard/policy/tokenize/tokenizetest"
	"github.com/switchyard/switchyard/providers/ollama"
	"github.com/switchyard/switchyard/providers/ollama/realollama"
)

func joinSamples(tb testing.TB) string { return tokenizetest.JoinedSamples(tb) }

// BenchmarkCount measures exact counting over all samples, with the word
// cache warm as it is in a running daemon. Target: 20 MB/s on one core.
func BenchmarkCount(b *testing.B) {
	bpe := tokenizetest.Qwen3BPE(b)
	text := joinSamples(b)
	bpe.Count(text)
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for b.Loop() {
		bpe.Count(text)
	}
}

// BenchmarkCountCold empties the word cache before each pass, so that
// every word is merged afresh: the worst case, text never seen before.
func BenchmarkCountCold(b *testing.B) {
	bpe := tokenizetest.Qwen3BPE(b)
	text := joinSamples(b)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		tokenize.ResetWordCache(bpe)
		bpe.Count(text)
	}
}

func bigRequest(tb testing.TB) *chat.Request { return tokenizetest.BigRequest(tb) }

// withTurn returns req with one more user message.
func withTurn(req *chat.Request, s string) *chat.Request {
	r := *req
	r.Messages = append(req.Messages[:len(req.Messages):len(req.Messages)], msg(chat.RoleUser, s))
	return &r
}

// BenchmarkCountRequestCold counts a ~1 MiB request that the tokenizer
// has never seen: empty word and message caches.
func BenchmarkCountRequestCold(b *testing.B) { benchmarkColdWith(b, nil) }

// countWith counts requests with bpe as switchyard counts for a local
// model: rendered as Ollama renders them for the model info describes
// (through the Ollama adapter's translation, as ollama.Local does), or
// with Qwen3's chat template for nil. cold empties the counter's caches,
// not the adapter's of decoded tools and arguments.
func countWith(bpe *tokenize.BPE, info *ollama.ModelInfo) (count func(*chat.Request), cold func()) {
	if info == nil {
		var c *tokenize.Counter
		cold = func() {
			c = tokenize.NewCounter()
			c.SetVocabulary(bpe)
		}
		cold()
		return func(req *chat.Request) { c.CountRequest(req) }, cold
	}
	l := ollama.NewLocal(ollama.LocalOptions{Options: ollama.Options{Model: info.Model}, CountTokens: true})
	l.SetFormat(*info)
	// A new tokenizer generation: no count cached before is used.
	cold = func() { l.SetTokenizer(bpe) }
	cold()
	return func(req *chat.Request) { l.CountRequest(req) }, cold
}

// benchmarkColdWith counts bigRequest with new caches each time, rendering
// for the model info describes (nil: Qwen3's chat template).
func benchmarkColdWith(b *testing.B, info *ollama.ModelInfo) {
	bpe := tokenizetest.Qwen3BPE(b)
	req := bigRequest(b)
	b.SetBytes(int64(len(tokenize.RenderPrompt(req))))
	count, cold := countWith(bpe, info)
	for b.Loop() {
		b.StopTimer()
		tokenize.ResetWordCache(bpe)
		cold()
		b.StartTimer()
		count(req)
	}
}

// BenchmarkCountRequestWarm counts the conversation of the turn before
// plus one new message: an agent's every turn. Target: under 1 ms.
func BenchmarkCountRequestWarm(b *testing.B) { benchmarkWarmWith(b, nil) }

// BenchmarkCountLongWord is a 100 KB piece with no break, such as a
// minified bundle's longest run of punctuation.
func BenchmarkCountLongWord(b *testing.B) {
	bpe := tokenizetest.Qwen3BPE(b)
	word := strings.Repeat("abcdefghij", 10000)
	b.SetBytes(int64(len(word)))
	for b.Loop() {
		bpe.Count(word)
	}
}

func BenchmarkEstimate(b *testing.B) {
	text := joinSamples(b)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		tokenize.Estimate(text)
	}
}

// benchmarkWarmWith counts an agent's turns, rendering for the model info
// describes (nil: Qwen3's chat template, message by message). Rendered as
// Ollama renders for the served model, the whole prompt is rendered every
// turn and counted from where the previous turn's prompt agrees with it.
func benchmarkWarmWith(b *testing.B, info *ollama.ModelInfo) {
	count, _ := countWith(tokenizetest.Qwen3BPE(b), info)
	base := bigRequest(b)
	count(base)
	reqs := make([]*chat.Request, 1024)
	for i := range reqs {
		reqs[i] = withTurn(base, fmt.Sprintf("turn %d: and now fix the failing test in file %d", i+1, i))
	}
	runtime.GC()
	i := 0
	for b.Loop() {
		count(reqs[i%len(reqs)])
		i++
	}
}

// BenchmarkCountRequestWarmTemplate renders through a Go template (the
// rig's Qwen3 ChatML template, as Ollama executes it). Target: under 1 ms.
func BenchmarkCountRequestWarmTemplate(b *testing.B) {
	benchmarkWarmWith(b, &ollama.ModelInfo{Template: realollama.ChatTemplate})
}

// BenchmarkCountRequestWarmQwen3Coder renders with the port of Ollama's
// qwen3-coder renderer. Target: under 1 ms.
func BenchmarkCountRequestWarmQwen3Coder(b *testing.B) {
	benchmarkWarmWith(b, &ollama.ModelInfo{Renderer: "qwen3-coder"})
}

// BenchmarkCountRequestColdQwen3Coder is BenchmarkCountRequestCold
// rendering as Ollama does for qwen3-coder, which counts a large prompt on
// every core.
func BenchmarkCountRequestColdQwen3Coder(b *testing.B) {
	benchmarkColdWith(b, &ollama.ModelInfo{Renderer: "qwen3-coder"})
}
