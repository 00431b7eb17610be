package openaichat

import (
	"encoding/json"
	"strconv"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/ingress"
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

// whole renders a complete answer as a chat.completion.
func whole(a *ingress.Assembled, id, model string, created int64) []byte {
	msg := oaOutputMsg{Role: "assistant", ReasoningContent: a.Reasoning}
	for _, c := range a.ToolCalls {
		tc := oaOutToolCall{ID: c.ID, Type: "function"}
		tc.Function.Name, tc.Function.Arguments = c.Name, c.Arguments
		msg.ToolCalls = append(msg.ToolCalls, tc)
	}
	if a.Content != "" || len(a.ToolCalls) == 0 {
		s := a.Content
		msg.Content = &s
	}
	b, _ := json.Marshal(oaCompletion{
		ID: id, Object: "chat.completion", Created: created, Model: model,
		Choices: []oaChoice{{Index: 0, Message: msg, FinishReason: string(a.Finish)}},
		Usage:   usageOf(a.Usage),
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

// answer renders an answer as a chat.completion, or a stream's chunks as
// chat.completion.chunk events.
type answer struct {
	id, model    string
	created      int64
	includeUsage bool
	sentRole     bool
	sawCalls     bool
	// head is what every chunk's JSON begins with, up to its delta's
	// members, written at the first chunk; envelope is its part up to the
	// choices' value.
	head, envelope []byte
}

// delta renders one provider chunk, or nil when it carries nothing to send.
func (cw *answer) Chunk(c *chat.Chunk) []byte {
	if c.Relayed != nil && cw.sentRole {
		return cw.relay(c.Relayed)
	}
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
	if len(d.ToolCalls) > 0 {
		return ingress.Data(cw.marshal(oaChunkChoice{Delta: d}))
	}
	n := 96
	if d.Content != nil {
		n += len(*d.Content) + len(*d.Content)/8
	}
	b := ingress.OpenEvent(make([]byte, 0, len(cw.head)+n), "")
	return ingress.CloseEvent(cw.appendText(b, &d))
}

// appendText appends the chunk carrying d, a delta without tool calls, as
// marshal would but without reflection (and with <, > and & literal, as
// OpenAI writes them): a streamed answer is one such chunk per token.
// FuzzTextChunk holds the two to the same JSON value.
func (cw *answer) appendText(b []byte, d *oaDelta) []byte {
	b = append(b, cw.heads()...)
	comma := false
	if d.Role != "" {
		b = ingress.AppendString(append(b, `"role":`...), d.Role)
		comma = true
	}
	if d.Content != nil {
		if comma {
			b = append(b, ',')
		}
		b = ingress.AppendString(append(b, `"content":`...), *d.Content)
		comma = true
	}
	if d.ReasoningContent != "" {
		if comma {
			b = append(b, ',')
		}
		b = ingress.AppendString(append(b, `"reasoning_content":`...), d.ReasoningContent)
	}
	b = append(b, `},"finish_reason":null,"logprobs":null}]`...)
	if cw.includeUsage {
		b = append(b, `,"usage":null`...)
	}
	return append(b, '}')
}

// heads is what every chunk's JSON begins with, up to its delta's
// members; its first len(cw.envelope) bytes, up to its choices, are the
// envelope.
func (cw *answer) heads() []byte {
	if cw.head == nil {
		h := append([]byte(`{"id":`), ingress.AppendString(nil, cw.id)...)
		h = append(h, `,"object":"chat.completion.chunk","created":`...)
		h = strconv.AppendInt(h, cw.created, 10)
		h = append(h, `,"model":`...)
		h = ingress.AppendString(h, cw.model)
		h = append(h, `,"choices":`...)
		cw.envelope = h[:len(h):len(h)]
		cw.head = append(h, `[{"index":0,"delta":{`...)
	}
	return cw.head
}

// relay renders a chunk whose choices the upstream wrote in this dialect
// (chat.Chunk.Relayed): in switchyard's envelope (its id, the model it
// routed to), the choices as they came, unchanged.
func (cw *answer) relay(choices []byte) []byte {
	cw.heads()
	b := ingress.OpenEvent(make([]byte, 0, len(cw.envelope)+len(choices)+32), "")
	b = append(append(b, cw.envelope...), choices...)
	if cw.includeUsage {
		b = append(b, `,"usage":null`...)
	}
	return ingress.CloseEvent(append(b, '}'))
}

// End renders the closing chunk with the finish reason, the usage chunk of
// stream_options.include_usage, and [DONE].
func (cw *answer) End(reason chat.FinishReason, u *chat.Usage) []byte {
	r := string(ingress.Finish(reason, cw.sawCalls))
	b := ingress.AppendEvent(nil, "", cw.marshal(oaChunkChoice{FinishReason: &r}))
	if cw.includeUsage {
		if u == nil {
			u = &chat.Usage{}
		}
		raw, _ := json.Marshal(usageOf(u))
		rm := json.RawMessage(raw)
		c, _ := json.Marshal(oaChunk{ID: cw.id, Object: "chat.completion.chunk", Created: cw.created, Model: cw.model, Choices: []oaChunkChoice{}, Usage: &rm})
		b = ingress.AppendEvent(b, "", c)
	}
	return ingress.AppendEvent(b, "", []byte("[DONE]"))
}

// Fail renders the error as an event in OpenAI's envelope, with no [DONE]
// after it: clients then report the stream as failed, never as complete.
func (cw *answer) Fail(e *ingress.Error) []byte { return ingress.Data(envelope(worded(e))) }

// KeepAlive is an SSE comment: OpenAI's clients skip comment lines.
func (cw *answer) KeepAlive() []byte { return ingress.Comment("keep-alive") }

// Whole renders a complete answer.
func (cw *answer) Whole(a *ingress.Assembled) []byte { return whole(a, cw.id, cw.model, cw.created) }

func (cw *answer) marshal(ch oaChunkChoice) []byte {
	c := oaChunk{ID: cw.id, Object: "chat.completion.chunk", Created: cw.created, Model: cw.model, Choices: []oaChunkChoice{ch}}
	if cw.includeUsage {
		n := jsonNull
		c.Usage = &n
	}
	b, _ := json.Marshal(c)
	return b
}
