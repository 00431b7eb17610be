package mistral

import (
	openai "github.com/sashabaranov/go-openai"
)

// chatRequest is the body of POST /v1/chat/completions, holding only fields
// in Mistral's ChatCompletionRequest schema (openapi.yaml in
// mistralai/platform-docs-public; additionalProperties: false, so anything
// else is a 422 extra_forbidden). go-openai's types are used for the parts
// whose JSON they produce exactly.
type chatRequest struct {
	Model             string                               `json:"model"`
	Messages          []message                            `json:"messages"`
	Temperature       *float64                             `json:"temperature,omitempty"`
	TopP              *float64                             `json:"top_p,omitempty"`
	MaxTokens         *int                                 `json:"max_tokens,omitempty"`
	Stream            bool                                 `json:"stream"`
	Stop              []string                             `json:"stop,omitempty"`
	RandomSeed        *int64                               `json:"random_seed,omitempty"`
	ResponseFormat    *openai.ChatCompletionResponseFormat `json:"response_format,omitempty"`
	Tools             []openai.Tool                        `json:"tools,omitempty"`
	ToolChoice        any                                  `json:"tool_choice,omitempty"`
	PresencePenalty   *float64                             `json:"presence_penalty,omitempty"`
	FrequencyPenalty  *float64                             `json:"frequency_penalty,omitempty"`
	ParallelToolCalls *bool                                `json:"parallel_tool_calls,omitempty"`
	// ReasoningEffort is "high" or "none", and only for models that take it.
	ReasoningEffort string `json:"reasoning_effort,omitempty"`
}

// message is any of Mistral's SystemMessage, UserMessage, AssistantMessage
// and ToolMessage; the sanitizer sets only the fields the role's schema has.
type message struct {
	Role string `json:"role"`
	// Content is a string or []openai.ChatMessagePart; nil leaves it out
	// (an assistant message that only calls tools).
	Content   any               `json:"content,omitempty"`
	ToolCalls []openai.ToolCall `json:"tool_calls,omitempty"`
	// ToolCallID and Name are for tool messages only.
	ToolCallID string `json:"tool_call_id,omitempty"`
	Name       string `json:"name,omitempty"`
	// Prefix marks a final assistant message the answer must continue.
	Prefix bool `json:"prefix,omitempty"`
}
