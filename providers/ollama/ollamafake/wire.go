package ollamafake

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// ChatRequest is a decoded POST /api/chat body (api/types.go ChatRequest).
// Decoding enforces what Ollama's decoder enforces: images are standard
// base64 (api.ImageData is a []byte), tool-call arguments are an object
// (api.ToolCallFunctionArguments), think is a bool or a level
// (api.ThinkValue).
type ChatRequest struct {
	Model    string          `json:"model"`
	Messages []Message       `json:"messages"`
	Tools    []Tool          `json:"tools,omitempty"`
	Format   json.RawMessage `json:"format,omitempty"`
	Options  map[string]any  `json:"options,omitempty"`
	// Stream nil means true.
	Stream *bool  `json:"stream,omitempty"`
	Think  *Think `json:"think,omitempty"`
	// Truncate and Shift nil mean true (v0.12.6+).
	Truncate  *bool           `json:"truncate,omitempty"`
	Shift     *bool           `json:"shift,omitempty"`
	KeepAlive json.RawMessage `json:"keep_alive,omitempty"`
}

// NumCtx is options.num_ctx, 0 when absent or not a number.
func (r *ChatRequest) NumCtx() int { return optionInt(r.Options, "num_ctx") }

// Streaming reports whether the answer is NDJSON (stream absent or true).
func (r *ChatRequest) Streaming() bool { return r.Stream == nil || *r.Stream }

// Message is api.Message.
type Message struct {
	Role       string     `json:"role"`
	Content    string     `json:"content"`
	Thinking   string     `json:"thinking,omitempty"`
	Images     [][]byte   `json:"images,omitempty"`
	ToolCalls  []ToolCall `json:"tool_calls,omitempty"`
	ToolName   string     `json:"tool_name,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
}

// ToolCall is api.ToolCall.
type ToolCall struct {
	ID       string           `json:"id,omitempty"`
	Function ToolCallFunction `json:"function"`
}

// ToolCallFunction is api.ToolCallFunction.
type ToolCallFunction struct {
	Index     int       `json:"index"`
	Name      string    `json:"name"`
	Arguments Arguments `json:"arguments"`
}

// Arguments is a tool call's arguments: a JSON object, kept as its text so
// key order survives (Ollama keeps insertion order too).
type Arguments json.RawMessage

var errArgumentsNotObject = errors.New("json: cannot unmarshal non-object into Go struct field ToolCallFunction.tool_calls.function.arguments of type api.ToolCallFunctionArguments")

// UnmarshalJSON accepts only an object, as Ollama's decoder does.
func (a *Arguments) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return errArgumentsNotObject
	}
	*a = append((*a)[:0], b...)
	return nil
}

// MarshalJSON writes the object as received.
func (a Arguments) MarshalJSON() ([]byte, error) {
	if len(a) == 0 {
		return []byte("{}"), nil
	}
	return a, nil
}

// Tool is api.Tool (OpenAI's shape).
type Tool struct {
	Type     string       `json:"type"`
	Function ToolFunction `json:"function"`
}

// ToolFunction is api.ToolFunction.
type ToolFunction struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
}

// Think is api.ThinkValue: a bool, or a level string.
type Think struct {
	Value any // bool or string
}

// UnmarshalJSON follows api.ThinkValue: true/false or "high", "medium",
// "low" (and "max", PROVIDERS.md §1.1); anything else is an error.
func (t *Think) UnmarshalJSON(b []byte) error {
	var v bool
	if json.Unmarshal(b, &v) == nil {
		t.Value = v
		return nil
	}
	var s string
	if json.Unmarshal(b, &s) == nil {
		switch s {
		case "high", "medium", "low", "max":
			t.Value = s
			return nil
		}
		return errors.New(`invalid think value: "` + s + `" (must be "high", "medium", "low", true, or false)`)
	}
	return errors.New("invalid think value: " + string(b) + ` (must be "high", "medium", "low", true, or false)`)
}

// MarshalJSON writes the value as received.
func (t Think) MarshalJSON() ([]byte, error) { return json.Marshal(t.Value) }

// Enabled is api.ThinkValue.Bool: true, or any level.
func (t *Think) Enabled() bool {
	if t == nil {
		return false
	}
	switch v := t.Value.(type) {
	case bool:
		return v
	case string:
		return v != ""
	}
	return false
}

// chatResponse is one line of the answer (api.ChatResponse with its
// embedded Metrics, all omitempty as there).
type chatResponse struct {
	Model      string        `json:"model"`
	CreatedAt  string        `json:"created_at"`
	Message    *replyMessage `json:"message,omitempty"`
	DoneReason string        `json:"done_reason,omitempty"`
	Done       bool          `json:"done"`

	TotalDuration      int64 `json:"total_duration,omitempty"`
	LoadDuration       int64 `json:"load_duration,omitempty"`
	PromptEvalCount    int   `json:"prompt_eval_count,omitempty"`
	PromptEvalDuration int64 `json:"prompt_eval_duration,omitempty"`
	EvalCount          int   `json:"eval_count,omitempty"`
	EvalDuration       int64 `json:"eval_duration,omitempty"`
}

// replyMessage is the assistant message of an answer line. Content is
// always present, even empty, as in api.Message.
type replyMessage struct {
	Role      string     `json:"role"`
	Content   string     `json:"content"`
	Thinking  string     `json:"thinking,omitempty"`
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
}

// keepAlive decodes api.Duration: a number of seconds or a Go duration
// string; negative means forever. ok is false when absent.
func keepAlive(raw json.RawMessage) (d time.Duration, ok bool, err error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, false, nil
	}
	var f float64
	if json.Unmarshal(raw, &f) == nil {
		return time.Duration(f * float64(time.Second)), true, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return 0, false, errors.New("unsupported type for keep_alive")
	}
	d, err = time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, false, err
	}
	return d, true, nil
}
