package openaicompat

import (
	"strings"

	openai "github.com/sashabaranov/go-openai"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/internal/jsonscan"
)

// A whole answer (stream: false) is one chat.completion:
//
//	{"id":"…","object":"chat.completion","created":…,"model":"…",
//	 "choices":[{"index":0,"message":{"role":"assistant","content":"…"},"finish_reason":"stop"}],
//	 "usage":{"prompt_tokens":…,"completion_tokens":…,"total_tokens":…}}
//
// with llama.cpp's timings beside it, or vLLM's members that are null
// (prompt_logprobs, a message's refusal), and encoding/json into
// go-openai's types (whose message decodes itself twice) costs a
// local engine's whole answer more than the rest of the relay.
// decodeWhole reads that shape without reflection: one choice of text,
// usage, timings, and members go-openai does not know when they are
// null, a string, a number, a bool or []. Anything else (tool calls, a
// content of parts, a member it cannot tell from one go-openai knows) it
// leaves to decodeWholeSlowly, which gives every answer it accepts the
// same chunk (FuzzDecodeWhole checks it).
func decodeWhole(body []byte) (chat.Chunk, bool) {
	p := jsonscan.New(body)
	var out chat.Chunk
	var u openai.Usage
	var t *timings
	var finish string
	var seen members
	choices := 0
	ok := p.Object(func(key []byte) bool {
		var n int64
		switch string(key) {
		case "id", "object", "model", "system_fingerprint", "service_tier":
			return p.SkipStrOrNull()
		case "created":
			return p.Null() || p.Int(&n)
		case "choices":
			return seen.once(0) && p.Array(func() bool {
				choices++
				return choices == 1 && wholeChoice(p, &out, &finish)
			})
		case "usage":
			return seen.once(1) && (p.Null() || wholeUsage(p, &u))
		case "timings":
			if !seen.once(2) {
				return false
			}
			if p.Null() {
				return true
			}
			t = &timings{}
			return wholeTimings(p, t)
		}
		return skipUnknown(p, key, "id", "object", "created", "model", "choices", "usage",
			"system_fingerprint", "prompt_filter_results", "service_tier", "timings")
	})
	if !ok || !p.End() || choices != 1 {
		return chat.Chunk{}, false
	}
	out.FinishReason = finishReason(finish)
	if out.FinishReason == "" {
		out.FinishReason = chat.FinishStop
	}
	out.Usage = t.apply(usage(&u))
	return out, true
}

// members remembers which members an object had: one that comes twice,
// encoding/json merges or replaces, so decodeWhole leaves it to it.
type members uint8

func (m *members) once(i uint) bool {
	if *m&(1<<i) != 0 {
		return false
	}
	*m |= 1 << i
	return true
}

func wholeChoice(p *jsonscan.Parser, out *chat.Chunk, finish *string) bool {
	var seen members
	return p.Object(func(key []byte) bool {
		var n int64
		switch string(key) {
		case "index":
			return p.Null() || p.Int(&n)
		case "finish_reason":
			return p.StrOrNull(finish)
		case "logprobs", "content_filter_results":
			return p.Null()
		case "message":
			return seen.once(0) && wholeMessage(p, out)
		}
		return skipUnknown(p, key, "index", "message", "finish_reason", "logprobs", "content_filter_results")
	})
}

func wholeMessage(p *jsonscan.Parser, out *chat.Chunk) bool {
	return p.Object(func(key []byte) bool {
		switch string(key) {
		case "role", "refusal", "name", "tool_call_id":
			return p.SkipStrOrNull()
		case "content":
			return p.StrOrNull(&out.Content)
		case "reasoning_content":
			return p.StrOrNull(&out.Reasoning)
		case "function_call":
			return p.Null()
		case "tool_calls":
			// vLLM writes [] for none; calls are left to encoding/json.
			return p.Null() || p.Consume('[') && p.Consume(']')
		}
		return skipUnknown(p, key, "role", "content", "refusal", "multicontent", "name",
			"reasoning_content", "function_call", "tool_calls", "tool_call_id")
	})
}

func wholeUsage(p *jsonscan.Parser, u *openai.Usage) bool {
	var seen members
	return p.Object(func(key []byte) bool {
		switch string(key) {
		case "prompt_tokens":
			return intOrNull(p, &u.PromptTokens)
		case "completion_tokens":
			return intOrNull(p, &u.CompletionTokens)
		case "total_tokens":
			return intOrNull(p, &u.TotalTokens)
		case "prompt_tokens_details":
			if !seen.once(0) {
				return false
			}
			if p.Null() {
				return true
			}
			d := &openai.PromptTokensDetails{}
			u.PromptTokensDetails = d
			return p.Object(func(key []byte) bool {
				switch string(key) {
				case "cached_tokens":
					return intOrNull(p, &d.CachedTokens)
				case "audio_tokens":
					return intOrNull(p, &d.AudioTokens)
				}
				return skipUnknown(p, key, "cached_tokens", "audio_tokens")
			})
		case "completion_tokens_details":
			if !seen.once(1) {
				return false
			}
			if p.Null() {
				return true
			}
			d := &openai.CompletionTokensDetails{}
			u.CompletionTokensDetails = d
			return p.Object(func(key []byte) bool {
				switch string(key) {
				case "reasoning_tokens":
					return intOrNull(p, &d.ReasoningTokens)
				case "audio_tokens":
					return intOrNull(p, &d.AudioTokens)
				case "accepted_prediction_tokens":
					return intOrNull(p, &d.AcceptedPredictionTokens)
				case "rejected_prediction_tokens":
					return intOrNull(p, &d.RejectedPredictionTokens)
				}
				return skipUnknown(p, key, "reasoning_tokens", "audio_tokens", "accepted_prediction_tokens", "rejected_prediction_tokens")
			})
		}
		return skipUnknown(p, key, "prompt_tokens", "completion_tokens", "total_tokens", "prompt_tokens_details", "completion_tokens_details")
	})
}

func wholeTimings(p *jsonscan.Parser, t *timings) bool {
	return p.Object(func(key []byte) bool {
		switch string(key) {
		case "cache_n":
			if p.Null() {
				t.CacheN = nil
				return true
			}
			var n int
			t.CacheN = &n
			return intOrNull(p, &n)
		case "prompt_n":
			return intOrNull(p, &t.PromptN)
		case "prompt_ms":
			return p.Null() || p.Float(&t.PromptMS)
		case "predicted_n":
			return intOrNull(p, &t.PredictedN)
		}
		return skipUnknown(p, key, "cache_n", "prompt_n", "prompt_ms", "predicted_n")
	})
}

// intOrNull reads an int member, or null, which leaves it as it was.
func intOrNull(p *jsonscan.Parser, v *int) bool {
	if p.Null() {
		return true
	}
	var n int64
	if !p.Int(&n) || int64(int(n)) != n {
		return false
	}
	*v = int(n)
	return true
}

// skipUnknown passes over the value of a member its object's type does
// not have, when encoding/json would ignore it too: its key must not
// match one of known (the type's members), which encoding/json matches
// without regard to case, and for that to be plain ASCII it must be
// lower-case letters, digits and _; its value a scalar or [].
func skipUnknown(p *jsonscan.Parser, key []byte, known ...string) bool {
	for _, c := range key {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	for _, k := range known {
		if strings.EqualFold(string(key), k) {
			return false
		}
	}
	var f float64
	var b bool
	return p.Null() || p.SkipStr() || p.Float(&f) || p.Bool(&b) || p.Consume('[') && p.Consume(']')
}
