package tokenize_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/policy/tokenize"
	"github.com/switchyard/switchyard/policy/tokenize/tokenizetest"
	"github.com/switchyard/switchyard/providers/ollama/realollama"
)

func joinSamples(tb testing.TB) string {
	var b strings.Builder
	for _, s := range loadSamples(tb) {
		b.WriteString(s.text)
	}
	return b.String()
}

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

// bigRequest is a conversation of about 1 MiB: the samples as tool
// results between short turns, then chunks of them as user messages.
func bigRequest(tb testing.TB) *chat.Request {
	req := agentRequest()
	all := joinSamples(tb)
	for _, s := range loadSamples(tb) {
		req.Messages = append(req.Messages,
			chat.Message{Role: chat.RoleAssistant, ToolCalls: []chat.ToolCall{{Name: "read_file", Arguments: `{"path": "` + s.name + `"}`}}},
			chat.Message{Role: chat.RoleTool, Content: text(s.text)})
	}
	for i := 0; len(tokenize.RenderPrompt(req)) < 1<<20; i++ {
		off := (i * 1 << 16) % (len(all) - 1<<16)
		req.Messages = append(req.Messages, msg(chat.RoleUser, all[off:off+1<<16]))
	}
	return req
}

// withTurn returns req with one more user message.
func withTurn(req *chat.Request, s string) *chat.Request {
	r := *req
	r.Messages = append(req.Messages[:len(req.Messages):len(req.Messages)], msg(chat.RoleUser, s))
	return &r
}

// BenchmarkCountRequestCold counts a ~1 MiB request that the tokenizer
// has never seen: empty word and message caches.
func BenchmarkCountRequestCold(b *testing.B) { benchmarkColdWith(b, nil) }

// benchmarkColdWith counts bigRequest with new caches each time, rendering
// with r (nil: Qwen3's chat template).
func benchmarkColdWith(b *testing.B, r *tokenize.Renderer) {
	bpe := tokenizetest.Qwen3BPE(b)
	req := bigRequest(b)
	b.SetBytes(int64(len(tokenize.RenderPrompt(req))))
	for b.Loop() {
		b.StopTimer()
		tokenize.ResetWordCache(bpe)
		c := tokenize.NewCounter()
		c.SetVocabulary(bpe)
		if r != nil {
			c.SetRenderer(r)
		}
		b.StartTimer()
		c.CountRequest(req)
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

// benchmarkWarmWith counts an agent's turns, rendering with r (nil:
// Qwen3's chat template, message by message). With a Renderer, as Ollama
// renders for the served model, the whole prompt is rendered every turn
// and counted from where the previous turn's prompt agrees with it.
func benchmarkWarmWith(b *testing.B, r *tokenize.Renderer) {
	bpe := tokenizetest.Qwen3BPE(b)
	c := tokenize.NewCounter()
	c.SetVocabulary(bpe)
	if r != nil {
		c.SetRenderer(r)
	}
	base := bigRequest(b)
	c.CountRequest(base)
	reqs := make([]*chat.Request, 1024)
	for i := range reqs {
		reqs[i] = withTurn(base, fmt.Sprintf("turn %d: and now fix the failing test in file %d", i+1, i))
	}
	runtime.GC()
	i := 0
	for b.Loop() {
		c.CountRequest(reqs[i%len(reqs)])
		i++
	}
}

// BenchmarkCountRequestWarmTemplate renders through a Go template (the
// rig's Qwen3 ChatML template, as Ollama executes it). Target: under 1 ms.
func BenchmarkCountRequestWarmTemplate(b *testing.B) {
	benchmarkWarmWith(b, tokenize.NewRenderer(tokenize.PromptFormat{Template: realollama.ChatTemplate}))
}

// BenchmarkCountRequestWarmQwen3Coder renders with the port of Ollama's
// qwen3-coder renderer. Target: under 1 ms.
func BenchmarkCountRequestWarmQwen3Coder(b *testing.B) {
	benchmarkWarmWith(b, tokenize.NewRenderer(tokenize.PromptFormat{Renderer: "qwen3-coder"}))
}

// BenchmarkCountRequestColdQwen3Coder is BenchmarkCountRequestCold
// rendering as Ollama does for qwen3-coder, which counts a large prompt on
// every core.
func BenchmarkCountRequestColdQwen3Coder(b *testing.B) {
	benchmarkColdWith(b, tokenize.NewRenderer(tokenize.PromptFormat{Renderer: "qwen3-coder"}))
}
