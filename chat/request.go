// Package chat is switchyard's own form of a chat job and its answer: the
// domain model every part shares. Ingress dialects (OpenAI chat completions,
// Anthropic messages, ...) decode what a client sent into a Request and
// encode Chunks back; policy decides on it; provider adapters turn a Request
// into one vendor's wire format and its answer back into Chunks. It imports
// nothing of switchyard's.
//
// The form follows OpenAI chat completions closely because every vendor we
// speak to is a near relative of it, but it holds no JSON-shaped quirks:
// content is always a list of parts, tool-call arguments are JSON text,
// the developer role is folded into system.
package chat

import (
	"encoding/json"
	"strings"
)

// Role is who wrote a message.
type Role string

// The roles a Request may carry. OpenAI's "developer" role is decoded as
// RoleSystem: no upstream we speak to distinguishes them.
const (
	RoleSystem    Role = "system"
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
	RoleTool      Role = "tool"
)

// Request is one chat job in switchyard's own form.
type Request struct {
	// Model is the model the client asked for: "auto", "local", "cloud",
	// a provider name, or anything else (treated as "auto" by routing).
	// Adapters ignore it and use their configured model.
	Model    string
	Messages []Message
	Tools    []Tool
	// ToolChoice is nil when the client did not say.
	ToolChoice        *ToolChoice
	ParallelToolCalls *bool

	// Stream is whether the client wants server-sent events. Adapters may
	// stream from upstream either way; the router assembles a whole answer
	// for a client that did not ask to stream.
	Stream bool

	Temperature *float64
	TopP        *float64
	// TopK is Anthropic's and Ollama's top_k; nil when the client set none.
	TopK             *int
	PresencePenalty  *float64
	FrequencyPenalty *float64
	Seed             *int64
	// MaxTokens is the output budget the client set (max_completion_tokens
	// or max_tokens); 0 when it set none.
	MaxTokens int
	Stop      []string
	// ResponseFormat is nil for plain text.
	ResponseFormat *ResponseFormat
	// ReasoningEffort is passed where the model can think, dropped
	// elsewhere: "" when the client did not say, "none" when it turned
	// thinking off, else "low", "medium" or "high".
	ReasoningEffort string
	User            string
	// DroppedTools names the tools the client offered that no provider
	// can run for it (hosted tools such as Responses' web_search), left
	// out of Tools; the decision reports them.
	DroppedTools []string
}

// Message is one turn of the conversation.
type Message struct {
	Role Role
	// Content is nil when the message had no content (an assistant turn
	// that only calls tools). A plain string arrives as one text Part.
	Content []Part
	// Name is OpenAI's optional participant name.
	Name string
	// ToolCalls are the calls an assistant message made.
	ToolCalls []ToolCall
	// ToolCallID links a tool message to the call it answers.
	ToolCallID string
	// ToolError marks a tool message whose call failed (Anthropic's
	// is_error); vendors without the notion get the text alone.
	ToolError bool
	// Reasoning is the thinking an assistant message carried, in order,
	// kept as data so it can go back to the vendor that produced it
	// (Anthropic thinking blocks, Responses reasoning items, Gemini
	// thought signatures).
	Reasoning []Reasoning
}

// Reasoning is one piece of a model's thinking from an earlier turn.
type Reasoning struct {
	// Text is the readable thinking; empty when it was redacted.
	Text string
	// Signature is the vendor's opaque proof of Text (Anthropic's
	// thinking signature, Gemini's thought signature).
	Signature string
	// Redacted is an opaque encrypted payload with no readable text
	// (Anthropic's redacted_thinking data, Responses' encrypted_content).
	Redacted string
}

// Text returns the message's text parts joined, without images.
func (m *Message) Text() string {
	switch len(m.Content) {
	case 0:
		return ""
	case 1:
		return m.Content[0].Text
	}
	var b strings.Builder
	for _, p := range m.Content {
		if p.Type == PartText {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

// PartType says what a content part holds.
type PartType string

// Content part types.
const (
	PartText  PartType = "text"
	PartImage PartType = "image"
)

// Part is one piece of a message's content.
type Part struct {
	Type PartType
	// Text is set for PartText.
	Text string
	// ImageURL is set for PartImage: an http(s) URL or a data: URL with
	// base64 content, as the client sent it.
	ImageURL string
	// Detail is OpenAI's image detail hint ("low", "high", "auto"), if any.
	Detail string
}

// ToolCall is a function call made by the assistant.
type ToolCall struct {
	ID   string
	Name string
	// Arguments is JSON text, as OpenAI carries it. Adapters whose vendor
	// wants an object decode it.
	Arguments string
	// Signature is the opaque thought signature the vendor issued with the
	// call (Gemini's thoughtSignature on a functionCall part), for a
	// dialect that carries it beside the call; it goes back only to the
	// vendor that issued it, every other adapter ignores it.
	Signature string
}

// Tool is a function the model may call.
type Tool struct {
	Name        string
	Description string
	// Parameters is the JSON Schema of the arguments; nil when absent.
	Parameters json.RawMessage
	Strict     bool
}

// ToolChoice constrains tool use.
type ToolChoice struct {
	// Mode is "auto", "none", "required", or "function" (call Name).
	Mode string
	Name string
}

// ResponseFormat asks for structured output.
type ResponseFormat struct {
	// Type is "text", "json_object" or "json_schema".
	Type string
	// Name, Schema and Strict are set for "json_schema".
	Name   string
	Schema json.RawMessage
	Strict bool
}
