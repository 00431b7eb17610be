package openaichat

import (
	"encoding/json"
	"fmt"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/ingress"
	"github.com/switchyard/switchyard/internal/jsonscan"
)

// The OpenAI chat completions request as it arrives on the wire. Only this
// package knows its shape; everything after decoding uses chat.Request.
type oaRequest struct {
	Model               *string         `json:"model"`
	Messages            *[]oaMessage    `json:"messages"`
	Tools               []oaTool        `json:"tools"`
	ToolChoice          json.RawMessage `json:"tool_choice"`
	ParallelToolCalls   *bool           `json:"parallel_tool_calls"`
	Stream              *bool           `json:"stream"`
	StreamOptions       *oaStreamOpts   `json:"stream_options"`
	Temperature         *float64        `json:"temperature"`
	TopP                *float64        `json:"top_p"`
	PresencePenalty     *float64        `json:"presence_penalty"`
	FrequencyPenalty    *float64        `json:"frequency_penalty"`
	Seed                *int64          `json:"seed"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	Stop                json.RawMessage `json:"stop"`
	ResponseFormat      json.RawMessage `json:"response_format"`
	ReasoningEffort     *string         `json:"reasoning_effort"`
	User                *string         `json:"user"`
	N                   *int            `json:"n"`
}

type oaStreamOpts struct {
	IncludeUsage bool `json:"include_usage"`
}

type oaMessage struct {
	Role       string       `json:"role"`
	Content    borrowed     `json:"content"`
	Name       string       `json:"name"`
	ToolCalls  []oaToolCall `json:"tool_calls"`
	ToolCallID string       `json:"tool_call_id"`
}

// borrowed is a value's raw JSON as a slice of the input being decoded,
// not a copy: json.Unmarshal hands UnmarshalJSON a subslice of its input
// and never changes the input, so the slice is good while the input is.
// For the fields decoded again at once (content, a tool call's
// arguments), where json.RawMessage would copy a megabyte of pasted file
// only to drop it a moment later. Only for input given to json.Unmarshal,
// never to a json.Decoder, whose buffer is reused.
type borrowed []byte

func (b *borrowed) UnmarshalJSON(data []byte) error {
	*b = data
	return nil
}

type oaToolCall struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string   `json:"name"`
		Arguments borrowed `json:"arguments"`
	} `json:"function"`
}

type oaTool struct {
	Type     string `json:"type"`
	Function struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Parameters  json.RawMessage `json:"parameters"`
		Strict      *bool           `json:"strict"`
	} `json:"function"`
}

type oaPart struct {
	Type     string          `json:"type"`
	Text     *string         `json:"text"`
	ImageURL json.RawMessage `json:"image_url"`
	Refusal  *string         `json:"refusal"`
}

type oaResponseFormat struct {
	Type       string `json:"type"`
	JSONSchema *struct {
		Name   string          `json:"name"`
		Schema json.RawMessage `json:"schema"`
		Strict *bool           `json:"strict"`
	} `json:"json_schema"`
}

// decodeChatRequest reads an OpenAI chat completions body. Every problem is
// a 400 invalid_request naming the field.
func decodeChatRequest(body []byte) (*ingress.Request, *ingress.Error) {
	var w oaRequest
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, jsonError("", err)
	}
	if w.Messages == nil {
		return nil, badParam("messages", "messages is required: an array of chat messages")
	}
	msgs := *w.Messages
	if len(msgs) == 0 {
		return nil, badParam("messages", "messages must not be empty")
	}
	messages := make([]chat.Message, len(msgs))
	for i := range msgs {
		if e := decodeMessage(&msgs[i], &messages[i], fmt.Sprintf("messages[%d]", i)); e != nil {
			return nil, e
		}
	}
	req, e := decodeRequestFields(&w)
	if e != nil {
		return nil, e
	}
	req.Chat.Messages = messages
	return req, nil
}

// Options is what an answer needs of the request beyond the job.
type Options struct {
	// IncludeUsage is stream_options.include_usage: a streamed answer
	// ends with a chunk that carries only the usage.
	IncludeUsage bool
}

// decodeRequestFields decodes everything in w but the messages.
func decodeRequestFields(w *oaRequest) (*ingress.Request, *ingress.Error) {
	req := &chat.Request{}
	var opts Options
	if w.Model != nil {
		req.Model = *w.Model
	}
	for i, t := range w.Tools {
		p := fmt.Sprintf("tools[%d]", i)
		if t.Type != "" && t.Type != "function" {
			return nil, badParam(p+".type", "%s.type must be \"function\", not %q", p, t.Type)
		}
		if t.Function.Name == "" {
			return nil, badParam(p+".function.name", "%s.function.name is required", p)
		}
		tool := chat.Tool{Name: t.Function.Name, Description: t.Function.Description}
		if !isNull(t.Function.Parameters) {
			if !isObject(t.Function.Parameters) {
				return nil, badParam(p+".function.parameters", "%s.function.parameters must be a JSON Schema object", p)
			}
			tool.Parameters = t.Function.Parameters
		}
		if t.Function.Strict != nil {
			tool.Strict = *t.Function.Strict
		}
		req.Tools = append(req.Tools, tool)
	}
	if !isNull(w.ToolChoice) {
		tc, e := decodeToolChoice(w.ToolChoice)
		if e != nil {
			return nil, e
		}
		req.ToolChoice = tc
	}
	req.ParallelToolCalls = w.ParallelToolCalls
	if w.Stream != nil {
		req.Stream = *w.Stream
	}
	if w.StreamOptions != nil {
		opts.IncludeUsage = w.StreamOptions.IncludeUsage
	}
	req.Temperature, req.TopP = w.Temperature, w.TopP
	req.PresencePenalty, req.FrequencyPenalty = w.PresencePenalty, w.FrequencyPenalty
	req.Seed = w.Seed
	switch {
	case w.MaxCompletionTokens != nil:
		req.MaxTokens = *w.MaxCompletionTokens
	case w.MaxTokens != nil:
		req.MaxTokens = *w.MaxTokens
	}
	if req.MaxTokens < 0 {
		return nil, badParam("max_tokens", "max_tokens must be a positive integer")
	}
	if w.N != nil && *w.N != 1 {
		return nil, badParam("n", "n must be 1: switchyard returns one choice")
	}
	if !isNull(w.Stop) {
		stop, e := decodeStop(w.Stop)
		if e != nil {
			return nil, e
		}
		req.Stop = stop
	}
	if !isNull(w.ResponseFormat) {
		rf, e := decodeResponseFormat(w.ResponseFormat)
		if e != nil {
			return nil, e
		}
		req.ResponseFormat = rf
	}
	if w.ReasoningEffort != nil {
		req.ReasoningEffort = *w.ReasoningEffort
	}
	if w.User != nil {
		req.User = *w.User
	}
	return &ingress.Request{Chat: req, Options: opts}, nil
}

func decodeMessage(w *oaMessage, m *chat.Message, p string) *ingress.Error {
	switch w.Role {
	case "system", "developer":
		m.Role = chat.RoleSystem
	case "user":
		m.Role = chat.RoleUser
	case "assistant":
		m.Role = chat.RoleAssistant
	case "tool":
		m.Role = chat.RoleTool
		if w.ToolCallID == "" {
			return badParam(p+".tool_call_id", "%s.tool_call_id is required for a tool message", p)
		}
	case "":
		return badParam(p+".role", "%s.role is required", p)
	default:
		return badParam(p+".role", "%s.role must be system, developer, user, assistant or tool, not %q", p, w.Role)
	}
	m.Name, m.ToolCallID = w.Name, w.ToolCallID
	parts, e := decodeContent(w.Content, p+".content")
	if e != nil {
		return e
	}
	m.Content = parts
	if m.Content == nil && m.Role != chat.RoleAssistant {
		return badParam(p+".content", "%s.content is required for a %s message", p, w.Role)
	}
	for i, tc := range w.ToolCalls {
		tp := fmt.Sprintf("%s.tool_calls[%d]", p, i)
		if m.Role != chat.RoleAssistant {
			return badParam(tp, "%s: only assistant messages carry tool calls", tp)
		}
		if tc.Function.Name == "" {
			return badParam(tp+".function.name", "%s.function.name is required", tp)
		}
		args, e := ingress.ToolArguments(json.RawMessage(tc.Function.Arguments), tp+".function.arguments")
		if e != nil {
			return e
		}
		m.ToolCalls = append(m.ToolCalls, chat.ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: args})
	}
	if m.Role == chat.RoleAssistant && m.Content == nil && len(m.ToolCalls) == 0 {
		m.Content = []chat.Part{}
	}
	return nil
}

func decodeContent(raw []byte, p string) ([]chat.Part, *ingress.Error) {
	if isNull(raw) {
		return nil, nil
	}
	switch raw[0] {
	case '"':
		// The whole message was checked by json.Unmarshal before: raw is
		// one valid string literal, unquoted here in one allocation.
		s, ok := jsonscan.Unquote(raw)
		if !ok {
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, jsonError(p, err)
			}
		}
		return []chat.Part{{Type: chat.PartText, Text: s}}, nil
	case '[':
	default:
		return nil, badParam(p, "%s must be a string or an array of content parts", p)
	}
	var parts []oaPart
	if err := json.Unmarshal(raw, &parts); err != nil {
		return nil, jsonError(p, err)
	}
	out := make([]chat.Part, 0, len(parts))
	for i, pt := range parts {
		pp := fmt.Sprintf("%s[%d]", p, i)
		switch pt.Type {
		case "text", "input_text":
			if pt.Text == nil {
				return nil, badParam(pp+".text", "%s.text is required for a text part", pp)
			}
			out = append(out, chat.Part{Type: chat.PartText, Text: *pt.Text})
		case "refusal":
			if pt.Refusal != nil {
				out = append(out, chat.Part{Type: chat.PartText, Text: *pt.Refusal})
			}
		case "image_url":
			url, detail, e := decodeImageURL(pt.ImageURL, pp+".image_url")
			if e != nil {
				return nil, e
			}
			out = append(out, chat.Part{Type: chat.PartImage, ImageURL: url, Detail: detail})
		case "":
			return nil, badParam(pp+".type", "%s.type is required", pp)
		default:
			return nil, badParam(pp+".type", "%s.type %q is not supported (text and image_url are)", pp, pt.Type)
		}
	}
	return out, nil
}

func decodeImageURL(raw json.RawMessage, p string) (url, detail string, e *ingress.Error) {
	if isNull(raw) {
		return "", "", badParam(p, "%s is required for an image_url part", p)
	}
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &url); err != nil {
			return "", "", jsonError(p, err)
		}
	} else {
		var o struct {
			URL    string `json:"url"`
			Detail string `json:"detail"`
		}
		if err := json.Unmarshal(raw, &o); err != nil {
			return "", "", jsonError(p, err)
		}
		url, detail = o.URL, o.Detail
	}
	if url == "" {
		return "", "", badParam(p+".url", "%s.url is required", p)
	}
	return url, detail, nil
}

func decodeToolChoice(raw json.RawMessage) (*chat.ToolChoice, *ingress.Error) {
	if raw[0] == '"' {
		var s string
		json.Unmarshal(raw, &s)
		switch s {
		case "auto", "none", "required":
			return &chat.ToolChoice{Mode: s}, nil
		}
		return nil, badParam("tool_choice", "tool_choice must be auto, none, required or a function, not %q", s)
	}
	var o struct {
		Type     string `json:"type"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if err := json.Unmarshal(raw, &o); err != nil || o.Function.Name == "" {
		return nil, badParam("tool_choice", `tool_choice must be a string or {"type":"function","function":{"name":...}}`)
	}
	return &chat.ToolChoice{Mode: "function", Name: o.Function.Name}, nil
}

func decodeStop(raw json.RawMessage) ([]string, *ingress.Error) {
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, jsonError("stop", err)
		}
		return []string{s}, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, badParam("stop", "stop must be a string or an array of strings")
	}
	return list, nil
}

func decodeResponseFormat(raw json.RawMessage) (*chat.ResponseFormat, *ingress.Error) {
	var o oaResponseFormat
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, jsonError("response_format", err)
	}
	switch o.Type {
	case "text":
		return nil, nil
	case "json_object":
		return &chat.ResponseFormat{Type: o.Type}, nil
	case "json_schema":
		if o.JSONSchema == nil || !isObject(o.JSONSchema.Schema) {
			return nil, badParam("response_format.json_schema", "response_format.json_schema.schema must be a JSON Schema object")
		}
		rf := &chat.ResponseFormat{Type: o.Type, Name: o.JSONSchema.Name, Schema: o.JSONSchema.Schema}
		if o.JSONSchema.Strict != nil {
			rf.Strict = *o.JSONSchema.Strict
		}
		return rf, nil
	}
	return nil, badParam("response_format.type", "response_format.type must be text, json_object or json_schema, not %q", o.Type)
}

var badParam = ingress.BadParam

// jsonError is ingress.JSONError for this dialect's body.
func jsonError(prefix string, err error) *ingress.Error {
	return ingress.JSONError(prefix, "the chat completions request", err)
}

var isNull, isObject = ingress.IsNull, ingress.IsObject
