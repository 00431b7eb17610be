package providers

import "context"

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
	ToolCalls []ToolCallDelta
	// FinishReason is empty on every chunk but the last.
	FinishReason FinishReason
	Usage        *Usage
}

// ToolCallDelta is a fragment of a tool call. The first fragment of a call
// carries its ID and Name; later ones with the same Index only add Arguments
// text. Adapters whose vendor sends whole calls emit one fragment per call.
type ToolCallDelta struct {
	Index     int
	ID        string
	Name      string
	Arguments string
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
}

// TotalTokens is prompt plus completion.
func (u Usage) TotalTokens() int { return u.PromptTokens + u.CompletionTokens }

// Stream is an answer arriving from an upstream.
//
// Next returns the next chunk. After the chunk that carries FinishReason it
// returns io.EOF. Any other error means the answer is incomplete and must
// never be presented as a complete one. Close releases the upstream
// connection; it is safe to call at any time and more than once.
type Stream interface {
	Next() (Chunk, error)
	Close() error
}

// Waiter is a Stream that can say when it is about to wait for the
// upstream. The router then writes chunks to the client as they come and
// flushes them before each wait, instead of after every chunk: chunks that
// arrived together leave together (one write, not one each), and none is
// held back while the upstream is silent.
type Waiter interface {
	// BeforeWait makes Next call f, on Next's goroutine, before a read
	// that may block.
	BeforeWait(f func())
}

// Provider is one upstream: a model behind some vendor's API.
//
// Chat sends the job and returns once the upstream has accepted it (the
// response headers arrived, or the first chunk for vendors that report errors
// in the body). Errors before that point are *Error values so the router can
// decide whether another provider may be tried; cancelling ctx aborts the
// request and the stream.
type Provider interface {
	Chat(ctx context.Context, req *Request) (Stream, error)
}
