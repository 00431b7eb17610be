package openaicompat

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"time"
	"unicode/utf8"

	openai "github.com/sashabaranov/go-openai"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/internal/jsonscan"
	"github.com/switchyard/switchyard/providers"
	"github.com/switchyard/switchyard/providers/internal/lines"
)

// sseStream reads chat.completion.chunk events.
type sseStream struct {
	p        *Provider
	body     io.ReadCloser
	lines    *lines.Reader
	finished bool
	pending  *chat.Chunk
	closed   bool
	// relay says the client speaks the upstream's dialect (Forward): a
	// chunk of text then carries its event's choices as they came
	// (chat.Chunk.Relayed).
	relay bool
}

var _ providers.Waiter = (*sseStream)(nil)

// BeforeWait makes Next call f whenever it is about to wait for the server
// (providers.Waiter), so chunks that arrived together leave together.
func (s *sseStream) BeforeWait(f func()) { s.lines.BeforeWait = f }

func (s *sseStream) Next() (chat.Chunk, error) {
	for {
		line, _, err := s.lines.Next()
		if err != nil {
			if s.finished {
				// The finish chunk may be followed by a usage chunk; the
				// finish is held until [DONE] or the end so usage rides on
				// it.
				return s.flushPending()
			}
			if errors.Is(err, io.EOF) {
				return chat.Chunk{}, s.p.err(providers.KindServer, 0, "the stream ended before the answer was finished", nil)
			}
			return chat.Chunk{}, s.p.err(providers.KindServer, 0, "the stream broke", err)
		}
		data, ok := bytes.CutPrefix(line, []byte("data:"))
		if !ok {
			continue // comments, event names
		}
		data = bytes.TrimSpace(data)
		if string(data) == "[DONE]" {
			if s.finished {
				return s.flushPending()
			}
			return chat.Chunk{}, s.p.err(providers.KindServer, 0, "the stream ended before the answer was finished", nil)
		}
		c, raw, msg, err := decodeEvent(data)
		if err != nil {
			return chat.Chunk{}, s.p.err(providers.KindProtocol, 0, "unreadable stream event", err)
		}
		if msg != nil {
			return chat.Chunk{}, s.p.err(providers.KindServer, 0, "error in the stream: "+*msg, nil)
		}
		if s.finished {
			if c.Usage != nil {
				s.pending.Usage = mergeUsage(s.pending.Usage, c.Usage)
			}
			continue
		}
		if c.FinishReason != "" {
			s.finished = true
			fin := chat.Chunk{FinishReason: c.FinishReason, Usage: c.Usage}
			s.pending = &fin
			c.FinishReason, c.Usage = "", nil
			if c.Content == "" && c.Reasoning == "" && len(c.ToolCalls) == 0 {
				continue
			}
		}
		if s.relay {
			c.Relayed = raw
		}
		return c, nil
	}
}

// decodeEvent reads one event's data: the chunk it carries, with its
// choices when they can be relayed as they are, or the message of an
// error event.
func decodeEvent(data []byte) (chat.Chunk, []byte, *string, error) {
	if c, raw, ok := decodeTokenChunkRaw(data); ok {
		return c, raw, nil, nil
	}
	c, msg, err := decodeEventSlowly(data)
	return c, nil, msg, err
}

// decodeEventSlowly is decodeEvent by encoding/json alone.
func decodeEventSlowly(data []byte) (chat.Chunk, *string, error) {
	var ev struct {
		openai.ChatCompletionStreamResponse
		Timings *timings `json:"timings"`
		Error   *struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(data, &ev); err != nil {
		return chat.Chunk{}, nil, err
	}
	if ev.Error != nil {
		return chat.Chunk{}, &ev.Error.Message, nil
	}
	var c chat.Chunk
	c.Usage = ev.Timings.apply(usage(ev.Usage))
	if len(ev.Choices) > 0 {
		ch := ev.Choices[0]
		c.Content, c.Reasoning = ch.Delta.Content, ch.Delta.ReasoningContent
		for _, tc := range ch.Delta.ToolCalls {
			idx := 0
			if tc.Index != nil {
				idx = *tc.Index
			}
			c.ToolCalls = append(c.ToolCalls, chat.ToolCallDelta{Index: idx, ID: tc.ID, Name: tc.Function.Name, Arguments: tc.Function.Arguments})
		}
		c.FinishReason = finishReason(string(ch.FinishReason))
	}
	return c, nil, nil
}

// Almost every event of an answer is one token:
//
//	{"id":"…","object":"chat.completion.chunk","created":…,"model":"…","system_fingerprint":"…",
//	 "choices":[{"index":0,"delta":{"content":"…"},"logprobs":null,"finish_reason":null}]}
//
// (llama.cpp's server, vLLM and OpenAI alike), and encoding/json into
// go-openai's types spends more on each than the rest of the relay.
// decodeTokenChunk reads exactly that shape, with role, reasoning_content
// and a finish reason, and nothing else: tool calls, usage and errors are
// left to decodeEvent's json.Unmarshal, which gives every event this
// accepts the same chunk (FuzzDecodeTokenChunk checks it).
func decodeTokenChunk(data []byte) (chat.Chunk, bool) {
	c, _, ok := decodeTokenChunkRaw(data)
	return c, ok
}

// decodeTokenChunkRaw is decodeTokenChunk that also returns the value of
// the event's "choices" member when it can be passed on as it is
// (relayable), nil otherwise.
func decodeTokenChunkRaw(data []byte) (chat.Chunk, []byte, bool) {
	p := jsonscan.New(data)
	var c chat.Chunk
	var finish string
	var raw []byte
	var index int64
	choices, arrays := 0, 0
	ok := p.Object(func(key []byte) bool {
		var n int64
		switch string(key) {
		case "id", "object", "model", "system_fingerprint":
			// Read past, not kept: the answer is switchyard's, with its
			// own id and the model it routed to.
			return p.SkipStrOrNull()
		case "created":
			return p.Null() || p.Int(&n)
		case "usage":
			return p.Null() // OpenAI's on every chunk of a stream that asked for usage
		case "choices":
			// A second "choices" is decoded into the first one's
			// elements by encoding/json, merging them: left to it.
			if arrays++; arrays > 1 {
				return false
			}
			from := p.Offset()
			ok := p.Array(func() bool {
				choices++
				// encoding/json decodes every element into the slice;
				// only the first one's fields are kept.
				var content, reasoning, fin string
				ok := p.Object(func(key []byte) bool {
					switch string(key) {
					case "index":
						n = 0
						ok := p.Null() || p.Int(&n)
						if choices == 1 {
							index = n
						}
						return ok
					case "logprobs":
						return p.Null()
					case "finish_reason":
						return p.StrOrNull(&fin)
					case "delta":
						return p.Null() || p.Object(func(key []byte) bool {
							switch string(key) {
							case "role":
								return p.SkipStrOrNull()
							case "content":
								return p.StrOrNull(&content)
							case "reasoning_content":
								return p.StrOrNull(&reasoning)
							}
							return false
						})
					}
					return false
				})
				if choices == 1 {
					c.Content, c.Reasoning, finish = content, reasoning, fin
				}
				return ok
			})
			raw = data[from:p.Offset()]
			return ok
		}
		return false
	})
	if !ok || !p.End() {
		return chat.Chunk{}, nil, false
	}
	c.FinishReason = finishReason(finish)
	if choices != 1 || index != 0 || finish != "" || !relayable(raw) {
		raw = nil
	}
	return c, raw, true
}

// relayable reports whether b, JSON the parser accepted, reads as it
// decodes, so that passed on unchanged it says what encoding it again
// would: valid UTF-8 (encoding/json turns anything else into U+FFFD), and
// no \u escape of a UTF-16 surrogate (a lone one decodes as U+FFFD; a
// pair would be fine, but is rare enough to encode again).
func relayable(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' {
			continue
		}
		if i+2 < len(b) && b[i+1] == 'u' && (b[i+2] == 'd' || b[i+2] == 'D') {
			return false // \uDxxx: the surrogates, and for a short test the Hangul before them
		}
		i++ // the escaped byte: a backslash escaping a backslash is passed whole
	}
	return true
}

func (s *sseStream) flushPending() (chat.Chunk, error) {
	if s.pending == nil {
		return chat.Chunk{}, io.EOF
	}
	c := *s.pending
	s.pending = nil
	return c, nil
}

func (s *sseStream) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	return s.body.Close()
}

// timings is what llama.cpp's server says of an answer's time, beside
// usage, on its last chunk (and on a whole answer): cache_n of the prompt's
// tokens came from its prompt cache, prompt_n were processed in prompt_ms
// (tools/server/README.md, "timings").
type timings struct {
	CacheN     *int    `json:"cache_n"`
	PromptN    int     `json:"prompt_n"`
	PromptMS   float64 `json:"prompt_ms"`
	PredictedN int     `json:"predicted_n"`
}

// apply adds t to u, the usage reported beside it, or makes the usage of
// t alone when there is none.
func (t *timings) apply(u *chat.Usage) *chat.Usage {
	if t == nil || t.PromptN < 0 || t.PromptMS < 0 || t.PromptMS > 1e9 {
		return u
	}
	cached := 0
	if t.CacheN != nil && *t.CacheN > 0 {
		cached = *t.CacheN
	}
	if u == nil {
		if t.PromptN+cached == 0 {
			return nil
		}
		u = &chat.Usage{PromptTokens: t.PromptN + cached, CompletionTokens: t.PredictedN}
	}
	if u.CachedTokens == 0 && cached <= u.PromptTokens {
		u.CachedTokens = cached
	}
	u.PromptDuration = time.Duration(t.PromptMS * float64(time.Millisecond))
	return u
}

// mergeUsage is the usage of a finished stream's later chunk, with what an
// earlier one said that it does not (llama.cpp times the finish chunk;
// the usage chunk after it may carry only counts).
func mergeUsage(earlier, later *chat.Usage) *chat.Usage {
	if earlier == nil {
		return later
	}
	u := *later
	if u.CachedTokens == 0 {
		u.CachedTokens = min(earlier.CachedTokens, u.PromptTokens)
	}
	if u.PromptDuration == 0 {
		u.PromptDuration = earlier.PromptDuration
	}
	return &u
}
