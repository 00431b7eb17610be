package openaicompat

import (
	"encoding/json"
	"fmt"

	openai "github.com/sashabaranov/go-openai"

	"github.com/switchyard/switchyard/chat"
)

// wireRequest is an OpenAI chat completions body built from a chat.Request
// that arrived in another dialect. go-openai's ChatCompletionRequest is not
// used whole because its sampling fields are float32 with omitempty: a
// temperature of 0, which agents send on purpose, would vanish. Its message,
// tool and format types produce exactly the JSON the API reference
// (platform.openai.com/docs/api-reference/chat/create) describes.
type wireRequest struct {
	Model               string                               `json:"model"`
	Messages            []wireMessage                        `json:"messages"`
	Stream              bool                                 `json:"stream"`
	StreamOptions       *openai.StreamOptions                `json:"stream_options,omitempty"`
	Temperature         *float64                             `json:"temperature,omitempty"`
	TopP                *float64                             `json:"top_p,omitempty"`
	PresencePenalty     *float64                             `json:"presence_penalty,omitempty"`
	FrequencyPenalty    *float64                             `json:"frequency_penalty,omitempty"`
	Seed                *int64                               `json:"seed,omitempty"`
	MaxCompletionTokens int                                  `json:"max_completion_tokens,omitempty"`
	Stop                []string                             `json:"stop,omitempty"`
	ResponseFormat      *openai.ChatCompletionResponseFormat `json:"response_format,omitempty"`
	Tools               []openai.Tool                        `json:"tools,omitempty"`
	ToolChoice          any                                  `json:"tool_choice,omitempty"`
	ParallelToolCalls   *bool                                `json:"parallel_tool_calls,omitempty"`
	ReasoningEffort     string                               `json:"reasoning_effort,omitempty"`
	User                string                               `json:"user,omitempty"`
}

// wireMessage is one message; Content is a string, a list of parts, or nil
// (an assistant turn that only calls tools).
type wireMessage struct {
	Role       string            `json:"role"`
	Content    any               `json:"content,omitempty"`
	Name       string            `json:"name,omitempty"`
	ToolCalls  []openai.ToolCall `json:"tool_calls,omitempty"`
	ToolCallID string            `json:"tool_call_id,omitempty"`
}

// encode renders req as an OpenAI chat completions body for model. A
// streamed request asks for the usage chunk, which llama.cpp server, vLLM
// and LM Studio all send when asked.
func encode(req *chat.Request, model string) ([]byte, error) {
	if len(req.Messages) == 0 {
		return nil, fmt.Errorf("the request has no messages")
	}
	out := wireRequest{
		Model: model, Stream: req.Stream,
		Temperature: req.Temperature, TopP: req.TopP,
		PresencePenalty: req.PresencePenalty, FrequencyPenalty: req.FrequencyPenalty,
		Seed: req.Seed, MaxCompletionTokens: req.MaxTokens, Stop: req.Stop,
		ParallelToolCalls: req.ParallelToolCalls, ReasoningEffort: req.ReasoningEffort, User: req.User,
	}
	msgs := chat.JoinAssistantTurns(req.Messages)
	out.Messages = make([]wireMessage, 0, len(msgs))
	if req.Stream {
		out.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
	}
	for i := range msgs {
		m := &msgs[i]
		wm := wireMessage{Role: string(m.Role), Name: m.Name, ToolCallID: m.ToolCallID, Content: content(m.Content)}
		if wm.Content == nil && m.Role != chat.RoleAssistant {
			wm.Content = "" // only an assistant turn may leave content out
		}
		for _, tc := range m.ToolCalls {
			wm.ToolCalls = append(wm.ToolCalls, openai.ToolCall{ID: tc.ID, Type: openai.ToolTypeFunction,
				Function: openai.FunctionCall{Name: tc.Name, Arguments: tc.Arguments}})
		}
		out.Messages = append(out.Messages, wm)
	}
	for _, t := range req.Tools {
		fd := &openai.FunctionDefinition{Name: t.Name, Description: t.Description, Strict: t.Strict}
		if len(t.Parameters) > 0 {
			fd.Parameters = t.Parameters
		}
		out.Tools = append(out.Tools, openai.Tool{Type: openai.ToolTypeFunction, Function: fd})
	}
	if tc := req.ToolChoice; tc != nil {
		if tc.Mode == "function" {
			out.ToolChoice = openai.ToolChoice{Type: openai.ToolTypeFunction, Function: openai.ToolFunction{Name: tc.Name}}
		} else {
			out.ToolChoice = tc.Mode
		}
	}
	if rf := req.ResponseFormat; rf != nil {
		out.ResponseFormat = &openai.ChatCompletionResponseFormat{Type: openai.ChatCompletionResponseFormatType(rf.Type)}
		if rf.Type == "json_schema" {
			out.ResponseFormat.JSONSchema = &openai.ChatCompletionResponseFormatJSONSchema{
				Name: rf.Name, Schema: json.RawMessage(rf.Schema), Strict: rf.Strict}
		}
	}
	return json.Marshal(&out)
}

// content is a plain string for text alone (what every compatible server
// accepts) and a list of parts when there are images.
func content(parts []chat.Part) any {
	if parts == nil {
		return nil
	}
	images := false
	for _, p := range parts {
		images = images || p.Type == chat.PartImage
	}
	if !images {
		m := chat.Message{Content: parts}
		return m.Text()
	}
	out := make([]openai.ChatMessagePart, 0, len(parts))
	for _, p := range parts {
		switch p.Type {
		case chat.PartImage:
			out = append(out, openai.ChatMessagePart{Type: openai.ChatMessagePartTypeImageURL,
				ImageURL: &openai.ChatMessageImageURL{URL: p.ImageURL, Detail: openai.ImageURLDetail(p.Detail)}})
		default:
			if p.Text != "" {
				out = append(out, openai.ChatMessagePart{Type: openai.ChatMessagePartTypeText, Text: p.Text})
			}
		}
	}
	return out
}
