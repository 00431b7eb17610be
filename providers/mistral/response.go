package mistral

import (
	"bytes"
	"encoding/json"
	"fmt"

	openai "github.com/sashabaranov/go-openai"
	"github.com/switchyard/switchyard/chat"
)

// streamEvent is one data: payload of Mistral's stream
// (CompletionChunk; recorded samples in testdata/ and in vercel/ai
// packages/mistral/src/__fixtures__). go-openai's ChatCompletionStreamResponse
// cannot hold it: Mistral's delta content may be a list of chunks (thinking
// text from reasoning models), and its tool-call arguments may be an object.
// Unknown fields (Mistral pads events with a random "p") are ignored.
type streamEvent struct {
	ID      string        `json:"id"`
	Object  string        `json:"object"`
	Choices []eventChoice `json:"choices"`
	Usage   *eventUsage   `json:"usage"`

	// An error reported in the stream instead of a chunk carries the
	// fields of an error body.
	Message json.RawMessage `json:"message"`
	Detail  json.RawMessage `json:"detail"`
}

// isError reports whether the event is an error body rather than a chunk.
func (e *streamEvent) isError() bool {
	return e.Object == "error" || (len(e.Choices) == 0 && e.Usage == nil && (len(e.Message) > 0 || len(e.Detail) > 0))
}

type eventChoice struct {
	Index        int     `json:"index"`
	Delta        delta   `json:"delta"`
	FinishReason *string `json:"finish_reason"`
}

type delta struct {
	Content   content         `json:"content"`
	ToolCalls []toolCallDelta `json:"tool_calls"`
}

// content is a delta's content: null, a string, or a list of chunks of
// which "text" is answer and "thinking" (a list of text chunks) is reasoning
// (ThinkChunk in openapi.yaml; vercel/ai fixture mistral-reasoning.chunks.txt).
// Other chunk types (references) carry no text for the client.
type content struct {
	Text     string
	Thinking string
}

// UnmarshalJSON implements json.Unmarshaler.
func (c *content) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		return nil
	}
	if b[0] == '"' {
		return json.Unmarshal(b, &c.Text)
	}
	var chunks []struct {
		Type     string `json:"type"`
		Text     string `json:"text"`
		Thinking []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"thinking"`
	}
	if err := json.Unmarshal(b, &chunks); err != nil {
		return fmt.Errorf("content is neither text nor a list of chunks: %w", err)
	}
	for _, ch := range chunks {
		switch ch.Type {
		case "text":
			c.Text += ch.Text
		case "thinking":
			for _, t := range ch.Thinking {
				if t.Type == "text" || t.Type == "" {
					c.Thinking += t.Text
				}
			}
		}
	}
	return nil
}

// toolCallDelta is a tool call or a fragment of one. Mistral usually sends
// each call whole, without index or type (vercel/ai fixture
// mistral-tool-call.chunks.txt); models it serves incrementally send index,
// and later fragments without id and with an empty name
// (mistral-incremental-tool-call.chunks.txt).
type toolCallDelta struct {
	ID       string `json:"id"`
	Index    *int   `json:"index"`
	Function struct {
		Name      string    `json:"name"`
		Arguments arguments `json:"arguments"`
	} `json:"function"`
}

// arguments is FunctionCall.arguments, "object or string" in Mistral's
// schema; the client always gets JSON text.
type arguments string

// UnmarshalJSON implements json.Unmarshaler.
func (a *arguments) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || bytes.Equal(b, []byte("null")):
		*a = ""
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*a = arguments(s)
	default:
		*a = arguments(b)
	}
	return nil
}

// eventUsage is Mistral's UsageInfo: OpenAI's fields, plus the older
// num_cached_tokens beside prompt_tokens_details.cached_tokens
// (vercel/ai fixture mistral-usage-details.chunks.txt).
type eventUsage struct {
	openai.Usage
	NumCachedTokens int `json:"num_cached_tokens"`
}

func (u *eventUsage) toUsage() *chat.Usage {
	out := &chat.Usage{
		PromptTokens:     u.PromptTokens,
		CompletionTokens: u.CompletionTokens,
		CachedTokens:     u.NumCachedTokens,
	}
	if d := u.PromptTokensDetails; d != nil && d.CachedTokens > 0 {
		out.CachedTokens = d.CachedTokens
	}
	if d := u.CompletionTokensDetails; d != nil {
		out.ReasoningTokens = d.ReasoningTokens
	}
	return out
}
