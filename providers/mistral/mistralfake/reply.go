package mistralfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Reply scripts one answer of the fake to a chat request that passed
// validation. The zero Reply answers "ok".
type Reply struct {
	// Text is the answer's text, streamed a word at a time.
	Text string
	// Reasoning is thinking text, sent before Text as "thinking" content
	// chunks the way Mistral's reasoning models stream it.
	Reasoning string
	// ToolCalls are the calls the answer makes.
	ToolCalls []ToolCall
	// ToolCallStyle is how tool calls are streamed:
	//   ""/"whole"   all calls whole in the final chunk, without index or
	//                type (as recorded from mistral-small-latest)
	//   "separate"   each call whole in a chunk of its own, without index
	//   "incremental" each call opened with id, name and index, then its
	//                arguments in fragments carrying only the index
	ToolCallStyle string
	// FinishReason overrides the finish reason ("model_length", "error", …).
	FinishReason string
	// Usage overrides the usage sent on the final chunk.
	Usage *Usage

	// Status, when not 0 or 200, answers with that status instead: Body if
	// set, else Mistral's error body for the status.
	Status int
	Body   string
	// RetryAfter is sent as the Retry-After header when set.
	RetryAfter string

	// Times repeats this reply for that many requests (0 means once).
	Times int
	// Delay holds the answer's headers back this long (or until the client
	// goes away).
	Delay time.Duration
	// CutAfter, when > 0, drops the connection after that many stream
	// events, mid-answer.
	CutAfter int
	// StallAfter, when > 0, stops sending after that many events and waits
	// for the client to go away.
	StallAfter int
	// OmitFinish ends the stream with [DONE] but no finish reason.
	OmitFinish bool
}

// ToolCall is a call the fake's answer makes.
type ToolCall struct {
	// ID is the call's id; empty gets a fresh nine-character one, unless
	// OmitID is set.
	ID        string
	OmitID    bool
	Name      string
	Arguments string
}

// Usage is token accounting for a scripted answer.
type Usage struct {
	PromptTokens     int
	CompletionTokens int
	CachedTokens     int
}

// errorBody is Mistral's body for a status the fake is told to answer with.
// 429 as recorded in raycast/extensions#31107; 401 as in
// nextcloud/integration_openai#332; 5xx in the documented shape
// (resources/error-glossary.md: types invalid_request_error,
// authentication_error, rate_limit_error, server_error).
func errorBody(status int) string {
	switch {
	case status == http.StatusUnauthorized:
		return `{"detail":"Unauthorized"}`
	case status == http.StatusTooManyRequests:
		return `{"object":"error","message":"Rate limit exceeded","type":"rate_limited","param":null,"code":"1300","raw_status_code":429}`
	case status >= 500:
		b, _ := json.Marshal(newAPIError(http.StatusText(status), "server_error", "", status))
		return string(b)
	}
	b, _ := json.Marshal(newAPIError(http.StatusText(status), "invalid_request_error", "", status))
	return string(b)
}

// event is a chat.completion.chunk (CompletionChunk) as Mistral streams it.
type event struct {
	ID      string        `json:"id"`
	Object  string        `json:"object"`
	Created int64         `json:"created"`
	Model   string        `json:"model"`
	Choices []eventChoice `json:"choices"`
	Usage   *usageInfo    `json:"usage,omitempty"`
}

type eventChoice struct {
	Index        int            `json:"index"`
	Delta        map[string]any `json:"delta"`
	FinishReason *string        `json:"finish_reason"`
}

type usageInfo struct {
	PromptTokens        int           `json:"prompt_tokens"`
	TotalTokens         int           `json:"total_tokens"`
	CompletionTokens    int           `json:"completion_tokens"`
	PromptTokensDetails *tokenDetails `json:"prompt_tokens_details,omitempty"`
}

type tokenDetails struct {
	CachedTokens int `json:"cached_tokens"`
}

type outCall struct {
	ID       string         `json:"id,omitempty"`
	Type     string         `json:"type,omitempty"`
	Index    *int           `json:"index,omitempty"`
	Function map[string]any `json:"function"`
}

// words splits text the way Mistral's stream does: one piece per word,
// with its leading space.
func words(text string) []string {
	var out []string
	start := 0
	for i := 1; i < len(text); i++ {
		if text[i] == ' ' {
			out = append(out, text[start:i])
			start = i
		}
	}
	if start < len(text) {
		out = append(out, text[start:])
	}
	return out
}

// fragments splits s into up to three pieces.
func fragments(s string) []string {
	if len(s) < 3 {
		return []string{s}
	}
	a, b := len(s)/3, 2*len(s)/3
	return []string{s[:a], s[a:b], s[b:]}
}

// events renders the reply as the stream Mistral would send for it, final
// chunk (finish reason and usage) included.
func (r *Reply) events(id, model string, created int64, usage usageInfo, calls []ToolCall) []event {
	mk := func(delta map[string]any, finish string) event {
		ch := eventChoice{Delta: delta}
		if finish != "" {
			ch.FinishReason = &finish
		}
		return event{ID: id, Object: "chat.completion.chunk", Created: created, Model: model, Choices: []eventChoice{ch}}
	}
	evs := []event{mk(map[string]any{"role": "assistant", "content": ""}, "")}
	for _, w := range words(r.Reasoning) {
		evs = append(evs, mk(map[string]any{"content": []any{map[string]any{
			"type": "thinking", "thinking": []any{map[string]any{"type": "text", "text": w}},
		}}}, ""))
	}
	for _, w := range words(r.Text) {
		evs = append(evs, mk(map[string]any{"content": w}, ""))
	}
	finish := r.FinishReason
	if finish == "" {
		finish = "stop"
		if len(calls) > 0 {
			finish = "tool_calls"
		}
	}
	var last event
	switch {
	case len(calls) == 0 && (finish == "length" || finish == "model_length") && len(evs) > 1:
		// Cut off by a limit, the finish rides on the last word
		// (M-Lai-ai/LLM-Provider-reference Mistral/streaming.md).
		last, evs = evs[len(evs)-1], evs[:len(evs)-1]
		f := finish
		last.Choices[0].FinishReason = &f
	case len(calls) == 0:
		// A natural stop comes in an empty chunk of its own
		// (vercel/ai mistral-usage-raw-live.chunks.txt).
		last = mk(map[string]any{"content": ""}, finish)
	case r.ToolCallStyle == "separate":
		for i, c := range calls {
			f := ""
			if i == len(calls)-1 {
				f = finish
			}
			evs = append(evs, mk(map[string]any{"content": nil, "tool_calls": []outCall{wholeCall(c)}}, f))
		}
		last, evs = evs[len(evs)-1], evs[:len(evs)-1]
	case r.ToolCallStyle == "incremental":
		for i, c := range calls {
			idx := i
			evs = append(evs, mk(map[string]any{"content": "", "tool_calls": []outCall{{
				ID: c.ID, Type: "function", Index: &idx, Function: map[string]any{"name": c.Name, "arguments": ""},
			}}}, ""))
			for _, frag := range fragments(c.Arguments) {
				evs = append(evs, mk(map[string]any{"content": "", "tool_calls": []outCall{{
					Type: "function", Index: &idx, Function: map[string]any{"name": "", "arguments": frag},
				}}}, ""))
			}
		}
		last = mk(map[string]any{"content": ""}, finish)
	default:
		out := make([]outCall, len(calls))
		for i, c := range calls {
			out[i] = wholeCall(c)
		}
		last = mk(map[string]any{"content": nil, "tool_calls": out}, finish)
	}
	last.Usage = &usage
	return append(evs, last)
}

func wholeCall(c ToolCall) outCall {
	return outCall{ID: c.ID, Function: map[string]any{"name": c.Name, "arguments": c.Arguments}}
}

// completion renders the reply as a non-streamed chat.completion
// (vercel/ai fixture mistral-tool-call.json; M-Lai-ai/LLM-Provider-reference
// Mistral/no-streaming.md).
func (r *Reply) completion(id, model string, created int64, usage usageInfo, calls []ToolCall) map[string]any {
	finish := r.FinishReason
	if finish == "" {
		finish = "stop"
		if len(calls) > 0 {
			finish = "tool_calls"
		}
	}
	msg := map[string]any{"role": "assistant", "content": r.Text, "tool_calls": nil}
	if len(calls) > 0 {
		out := make([]outCall, len(calls))
		for i, c := range calls {
			out[i] = wholeCall(c)
		}
		msg["tool_calls"] = out
	}
	return map[string]any{
		"id": id, "object": "chat.completion", "created": created, "model": model, "usage": usage,
		"choices": []any{map[string]any{"index": 0, "message": msg, "finish_reason": finish}},
	}
}

// sseData frames one event.
func sseData(v any) []byte {
	b, _ := json.Marshal(v)
	return []byte(fmt.Sprintf("data: %s\n\n", b))
}

// estimateTokens is the fake's stand-in for Mistral's tokenizer: about four
// bytes a token, which is what the context-window rule needs.
func estimateTokens(s string) int {
	return (len(strings.TrimSpace(s)) + 3) / 4
}
