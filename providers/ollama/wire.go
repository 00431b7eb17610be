package ollama

import "encoding/json"

// The types below are Ollama's native wire format, as declared in
// ollama/ollama api/types.go (ChatRequest, Message, ToolCall, ChatResponse,
// Metrics, ShowResponse, ListResponse, ProcessResponse) and documented in
// docs/api.md. Only the fields switchyard reads or writes are declared.

// chatRequest is the body of POST /api/chat.
type chatRequest struct {
	Model    string        `json:"model"`
	Messages []chatMessage `json:"messages"`
	Tools    []chatTool    `json:"tools,omitempty"`
	// Format is "json" or a JSON Schema object; absent for free text.
	Format  json.RawMessage `json:"format,omitempty"`
	Options chatOptions     `json:"options"`
	// Stream is always true: the router assembles whole answers itself.
	Stream bool `json:"stream"`
	// Think is false or a level ("low", "medium", "high"); absent when the
	// model cannot think (Ollama answers 400 otherwise, PROVIDERS.md §0.4).
	Think json.RawMessage `json:"think,omitempty"`
	// Truncate is always false: a prompt that does not fit must fail, not be
	// cut silently (api/types.go, added in v0.12.6; nil means true).
	Truncate *bool `json:"truncate"`
	// Shift false ends generation with done_reason "length" when the window
	// fills, instead of a context shift that drops the prompt's beginning.
	Shift *bool `json:"shift"`
	// KeepAlive is a duration string or a number of seconds.
	KeepAlive json.RawMessage `json:"keep_alive,omitempty"`
}

// chatOptions are the runtime options (api.Options / api.Runner). Pointers
// keep an explicit zero (temperature 0) apart from "not set".
type chatOptions struct {
	NumCtx           int      `json:"num_ctx"`
	NumPredict       int      `json:"num_predict,omitempty"`
	Temperature      *float64 `json:"temperature,omitempty"`
	TopP             *float64 `json:"top_p,omitempty"`
	PresencePenalty  *float64 `json:"presence_penalty,omitempty"`
	FrequencyPenalty *float64 `json:"frequency_penalty,omitempty"`
	Seed             *int64   `json:"seed,omitempty"`
	Stop             []string `json:"stop,omitempty"`
}

// chatMessage is api.Message.
type chatMessage struct {
	Role     string `json:"role"`
	Content  string `json:"content"`
	Thinking string `json:"thinking,omitempty"`
	// Images are base64 without a data: prefix (api.ImageData is []byte).
	Images     []string       `json:"images,omitempty"`
	ToolCalls  []chatToolCall `json:"tool_calls,omitempty"`
	ToolName   string         `json:"tool_name,omitempty"`
	ToolCallID string         `json:"tool_call_id,omitempty"`
}

// chatToolCall is api.ToolCall. The id exists since v0.12.10.
type chatToolCall struct {
	ID       string           `json:"id,omitempty"`
	Function chatToolFunction `json:"function"`
}

type chatToolFunction struct {
	Index int    `json:"index,omitempty"`
	Name  string `json:"name"`
	// Arguments is a JSON object, unlike OpenAI's JSON-in-a-string.
	Arguments json.RawMessage `json:"arguments"`
}

// chatTool is api.Tool, which has OpenAI's shape.
type chatTool struct {
	Type     string       `json:"type"`
	Function chatToolSpec `json:"function"`
}

type chatToolSpec struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
}

// chatResponse is one NDJSON line of a streamed /api/chat answer, or the
// whole answer when not streaming. Error is set on a line that reports a
// failure after the stream started (docs/api/errors.mdx).
type chatResponse struct {
	Model      string          `json:"model"`
	Message    *chatMessage    `json:"message"`
	Done       bool            `json:"done"`
	DoneReason string          `json:"done_reason"`
	Error      json.RawMessage `json:"error"`

	// Metrics, only on the done:true line; durations in nanoseconds
	// (docs/api.md § Conventions).
	TotalDuration      int64 `json:"total_duration"`
	LoadDuration       int64 `json:"load_duration"`
	PromptEvalCount    int   `json:"prompt_eval_count"`
	PromptEvalDuration int64 `json:"prompt_eval_duration"`
	EvalCount          int   `json:"eval_count"`
	EvalDuration       int64 `json:"eval_duration"`
}

// errorBody is the body of a non-2xx answer: {"error": "..."}.
type errorBody struct {
	Error json.RawMessage `json:"error"`
}
