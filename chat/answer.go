package chat

import "time"

// FinishReason is why the model stopped, in OpenAI's vocabulary.
type FinishReason string

// The finish reasons a stream may end with.
const (
	FinishStop          FinishReason = "stop"
	FinishLength        FinishReason = "length"
	FinishToolCalls     FinishReason = "tool_calls"
	FinishContentFilter FinishReason = "content_filter"
)

// Chunk is one increment of an answer. A stream's chunks, in order, make up
// the whole answer; the last one carries FinishReason, and Usage when the
// upstream reported it.
type Chunk struct {
	Content string
	// Reasoning is thinking text, for models that expose it.
	Reasoning string
	// ReasoningSignature is the vendor's opaque signature of the thinking
	// streamed so far (Anthropic's signature_delta, Gemini's
	// thoughtSignature); it closes a block of thinking.
	ReasoningSignature string
	ToolCalls          []ToolCallDelta
	// FinishReason is empty on every chunk but the last.
	FinishReason FinishReason
	Usage        *Usage
	// Relayed, when set, is the chunk as its upstream wrote it in the
	// client's own dialect, for the client's answer to pass on instead of
	// encoding Content and Reasoning again (which still hold its text):
	// the value of the "choices" member of an OpenAI chat.completion.chunk
	// of text,
	// from a stream Forward returned for an openai-chat request, checked
	// to hold one choice, valid JSON that decodes as it reads. It is valid
	// until the stream's next Next.
	Relayed []byte
}

// ToolCallDelta is a fragment of a tool call. The first fragment of a call
// carries its ID and Name; later ones with the same Index only add Arguments
// text. Adapters whose vendor sends whole calls emit one fragment per call.
type ToolCallDelta struct {
	Index     int
	ID        string
	Name      string
	Arguments string
	// Signature is the call's thought signature, on its first fragment,
	// when the vendor issued one (see ToolCall.Signature).
	Signature string
}

// Usage is token accounting as the upstream reported it.
type Usage struct {
	PromptTokens     int
	CompletionTokens int
	// CachedTokens is the part of PromptTokens served from a prompt cache,
	// when the upstream says.
	CachedTokens int
	// ReasoningTokens is the part of CompletionTokens spent thinking.
	ReasoningTokens int
	// PromptDuration is how long the upstream says it took to process the
	// prompt's uncached part, when it says (llama.cpp's timings).
	PromptDuration time.Duration
}

// TotalTokens is prompt plus completion.
func (u Usage) TotalTokens() int { return u.PromptTokens + u.CompletionTokens }
