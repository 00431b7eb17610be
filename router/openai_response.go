package router

import (
	"encoding/json"
	"strings"

	"github.com/switchyard/switchyard/chat"
)

// The OpenAI chat completions response shapes, written by hand-picked
// structs so field order and nulls are what clients expect.

type oaCompletion struct {
	ID      string     `json:"id"`
	Object  string     `json:"object"`
	Created int64      `json:"created"`
	Model   string     `json:"model"`
	Choices []oaChoice `json:"choices"`
	Usage   *oaUsage   `json:"usage,omitempty"`
}

type oaChoice struct {
	Index        int         `json:"index"`
	Message      oaOutputMsg `json:"message"`
	FinishReason string      `json:"finish_reason"`
	Logprobs     *struct{}   `json:"logprobs"`
}

type oaOutputMsg struct {
	Role             string          `json:"role"`
	Content          *string         `json:"content"`
	ReasoningContent string          `json:"reasoning_content,omitempty"`
	ToolCalls        []oaOutToolCall `json:"tool_calls,omitempty"`
	Refusal          *string         `json:"refusal"`
}

type oaOutToolCall struct {
	Index    *int   `json:"index,omitempty"`
	ID       string `json:"id,omitempty"`
	Type     string `json:"type,omitempty"`
	Function struct {
		Name      string `json:"name,omitempty"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

type oaUsage struct {
	PromptTokens            int                 `json:"prompt_tokens"`
	CompletionTokens        int                 `json:"completion_tokens"`
	TotalTokens             int                 `json:"total_tokens"`
	PromptTokensDetails     *oaPromptDetails    `json:"prompt_tokens_details,omitempty"`
	CompletionTokensDetails *oaCompletionDetail `json:"completion_tokens_details,omitempty"`
}

type oaPromptDetails struct {
	CachedTokens int `json:"cached_tokens"`
}

type oaCompletionDetail struct {
	ReasoningTokens int `json:"reasoning_tokens"`
}

func usageOf(u *chat.Usage) *oaUsage {
	if u == nil {
		return nil
	}
	o := &oaUsage{PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens, TotalTokens: u.TotalTokens()}
	if u.CachedTokens > 0 {
		o.PromptTokensDetails = &oaPromptDetails{CachedTokens: u.CachedTokens}
	}
	if u.ReasoningTokens > 0 {
		o.CompletionTokensDetails = &oaCompletionDetail{ReasoningTokens: u.ReasoningTokens}
	}
	return o
}

// assembler gathers a stream's chunks into one chat.completion.
type assembler struct {
	content   strings.Builder
	reasoning strings.Builder
	calls     []oaOutToolCall
	byIndex   map[int]int
	finish    chat.FinishReason
	usage     *chat.Usage
}

func (a *assembler) add(c *chat.Chunk) {
	a.content.WriteString(c.Content)
	a.reasoning.WriteString(c.Reasoning)
	for _, d := range c.ToolCalls {
		if a.byIndex == nil {
			a.byIndex = map[int]int{}
		}
		i, ok := a.byIndex[d.Index]
		if !ok {
			i = len(a.calls)
			a.byIndex[d.Index] = i
			a.calls = append(a.calls, oaOutToolCall{Type: "function"})
		}
		tc := &a.calls[i]
		if d.ID != "" {
			tc.ID = d.ID
		}
		if d.Name != "" {
			tc.Function.Name = d.Name
		}
		tc.Function.Arguments += d.Arguments
	}
	if c.FinishReason != "" {
		a.finish = c.FinishReason
	}
	if c.Usage != nil {
		a.usage = c.Usage
	}
}

func (a *assembler) completion(id, model string, created int64) []byte {
	msg := oaOutputMsg{Role: "assistant", ToolCalls: a.calls, ReasoningContent: a.reasoning.String()}
	if a.content.Len() > 0 || len(a.calls) == 0 {
		s := a.content.String()
		msg.Content = &s
	}
	finish := string(a.finish)
	if len(a.calls) > 0 && a.finish != chat.FinishLength {
		finish = string(chat.FinishToolCalls)
	}
	b, _ := json.Marshal(oaCompletion{
		ID: id, Object: "chat.completion", Created: created, Model: model,
		Choices: []oaChoice{{Index: 0, Message: msg, FinishReason: finish}},
		Usage:   usageOf(a.usage),
	})
	return b
}

// Streamed chunks.

type oaChunk struct {
	ID      string          `json:"id"`
	Object  string          `json:"object"`
	Created int64           `json:"created"`
	Model   string          `json:"model"`
	Choices []oaChunkChoice `json:"choices"`
	// Usage is null on every chunk but the last when the client asked for
	// usage, and absent otherwise, as OpenAI does.
	Usage *json.RawMessage `json:"usage,omitempty"`
}

type oaChunkChoice struct {
	Index        int       `json:"index"`
	Delta        oaDelta   `json:"delta"`
	FinishReason *string   `json:"finish_reason"`
	Logprobs     *struct{} `json:"logprobs"`
}

type oaDelta struct {
	Role             string          `json:"role,omitempty"`
	Content          *string         `json:"content,omitempty"`
	ReasoningContent string          `json:"reasoning_content,omitempty"`
	ToolCalls        []oaOutToolCall `json:"tool_calls,omitempty"`
}

var jsonNull = json.RawMessage("null")

// chunkWriter renders a stream's chunks as chat.completion.chunk events.
type chunkWriter struct {
	id, model    string
	created      int64
	includeUsage bool
	sentRole     bool
	sawCalls     bool
}

// delta renders one provider chunk, or nil when it carries nothing to send.
func (cw *chunkWriter) delta(c *chat.Chunk) []byte {
	var d oaDelta
	if !cw.sentRole {
		d.Role = "assistant"
		cw.sentRole = true
		empty := ""
		d.Content = &empty
	}
	if c.Content != "" {
		s := c.Content
		d.Content = &s
	}
	d.ReasoningContent = c.Reasoning
	for _, t := range c.ToolCalls {
		idx := t.Index
		tc := oaOutToolCall{Index: &idx, ID: t.ID}
		if t.ID != "" || t.Name != "" {
			tc.Type = "function"
		}
		tc.Function.Name = t.Name
		tc.Function.Arguments = t.Arguments
		d.ToolCalls = append(d.ToolCalls, tc)
		cw.sawCalls = true
	}
	if d.Role == "" && d.Content == nil && d.ReasoningContent == "" && len(d.ToolCalls) == 0 {
		return nil
	}
	return cw.marshal(oaChunkChoice{Delta: d})
}

// finish renders the closing chunk with the finish reason.
func (cw *chunkWriter) finish(reason chat.FinishReason) []byte {
	r := string(reason)
	if cw.sawCalls && reason != chat.FinishLength {
		r = string(chat.FinishToolCalls)
	}
	if r == "" {
		r = string(chat.FinishStop)
	}
	return cw.marshal(oaChunkChoice{FinishReason: &r})
}

// usage renders the extra usage chunk of stream_options.include_usage.
func (cw *chunkWriter) usage(u *chat.Usage) []byte {
	if u == nil {
		u = &chat.Usage{}
	}
	raw, _ := json.Marshal(usageOf(u))
	rm := json.RawMessage(raw)
	b, _ := json.Marshal(oaChunk{ID: cw.id, Object: "chat.completion.chunk", Created: cw.created, Model: cw.model, Choices: []oaChunkChoice{}, Usage: &rm})
	return b
}

func (cw *chunkWriter) marshal(ch oaChunkChoice) []byte {
	c := oaChunk{ID: cw.id, Object: "chat.completion.chunk", Created: cw.created, Model: cw.model, Choices: []oaChunkChoice{ch}}
	if cw.includeUsage {
		n := jsonNull
		c.Usage = &n
	}
	b, _ := json.Marshal(c)
	return b
}
