package mistral

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

	openai "github.com/sashabaranov/go-openai"
	"github.com/switchyard/switchyard/chat"
)

// bridgeText is the assistant turn inserted between a tool result and a
// following user message. Mistral allows only assistant or tool
// after tool ("Unexpected role 'user' after role 'tool'", HTTP 400 code 3230;
// mistral-common validator.py _validate_message_order), while OpenAI clients
// routinely send tool → user. A short assistant turn is what clients that
// hit this do (avante.nvim PR #2695, NousResearch/hermes-agent PR #84944);
// merging the user's words into the tool result instead would present them
// as the tool's output.
const bridgeText = "Ok."

// emptyToolResult stands in for a tool result with no text: Mistral's
// ToolMessage requires content, and go-openai-style encoders drop an empty
// one, which Mistral answers with a 422.
const emptyToolResult = "(no output)"

// Mistral's bounds where they are narrower than OpenAI's (ChatCompletionRequest
// in openapi.yaml): temperature 0–1.5 (OpenAI: 0–2), random_seed ≥ 0.
const maxTemperature = 1.5

// reasoningModels take reasoning_effort ("high" or "none"); Mistral
// documents it for these only (studio-api/conversations/reasoning/adjustable.md:
// mistral-small-latest and mistral-medium-3-5; Mistral Medium 3.5 is also
// served as mistral-medium-3 and mistral-medium-latest per
// src/schema/models). Devstral does not think; for it the field is dropped.
var reasoningModels = map[string]bool{
	"mistral-small-latest":  true,
	"mistral-small-2603":    true,
	"mistral-medium-3-5":    true,
	"mistral-medium-3":      true,
	"mistral-medium-latest": true,
}

// sanitize turns req into a request Mistral accepts for model. It fails only
// on what cannot be repaired without guessing (tool calls and results that
// do not pair up, invalid function names, a conversation that ends on an
// unanswered tool call); every message says which part of the request is at
// fault.
func sanitize(req *chat.Request, model string) (*chatRequest, error) {
	if req == nil || len(req.Messages) == 0 {
		return nil, errors.New("the request has no messages")
	}
	msgs, err := convertMessages(chat.JoinAssistantTurns(req.Messages))
	if err != nil {
		return nil, err
	}
	msgs = fixRoleOrder(msgs)
	if len(msgs) == 0 {
		return nil, errors.New("the request has no message with content")
	}
	if err := fixEnding(msgs); err != nil {
		return nil, err
	}
	out := &chatRequest{Model: model, Messages: msgs, Stream: true}
	setSampling(out, req)
	if err := setTools(out, req); err != nil {
		return nil, err
	}
	if err := setResponseFormat(out, req.ResponseFormat); err != nil {
		return nil, err
	}
	if reasoningModels[model] {
		out.ReasoningEffort = reasoningEffort(req.ReasoningEffort)
	}
	return out, nil
}

// convertMessages maps each message onto the fields its Mistral role has.
// Names are dropped from system, user and assistant messages (their schemas
// have none; sending one is a 422 extra_forbidden, Gage-Technologies/mistral-go
// PR #2). Messages that say nothing are dropped: an empty system message and
// an assistant message with neither text nor tool calls, which Mistral
// refuses ("Assistant message must have either content or tool_calls").
func convertMessages(in []chat.Message) ([]message, error) {
	plan, err := planToolCallIDs(in)
	if err != nil {
		return nil, err
	}
	out := make([]message, 0, len(in)+2)
	for i := range in {
		m := &in[i]
		switch m.Role {
		case chat.RoleSystem:
			// SystemMessage content is text only; several parts stay
			// apart as text chunks rather than run together.
			if c := wireContent(textParts(m.Content), ""); c != "" {
				out = append(out, message{Role: "system", Content: c})
			}
		case chat.RoleUser:
			out = append(out, message{Role: "user", Content: wireContent(m.Content, "")})
		case chat.RoleAssistant:
			calls, err := toolCalls(i, m.ToolCalls, plan.calls[i])
			if err != nil {
				return nil, err
			}
			text := m.Text()
			if text == "" && len(calls) == 0 {
				continue
			}
			am := message{Role: "assistant", ToolCalls: calls}
			if text != "" {
				am.Content = text
			}
			out = append(out, am)
		case chat.RoleTool:
			out = append(out, message{
				Role:       "tool",
				Content:    wireContent(m.Content, emptyToolResult),
				ToolCallID: plan.results[i],
				Name:       plan.names[i],
			})
		default:
			return nil, fmt.Errorf("message %d: role %q is not one Mistral knows", i, m.Role)
		}
	}
	return out, nil
}

// wireContent renders parts as Mistral's content: one text part as a plain
// string, anything else as chunks ({"type":"text"} and {"type":"image_url"},
// ContentChunk in openapi.yaml). Empty text parts are left out because
// TextChunk requires text and go-openai's part omits an empty one. When
// nothing is left the result is empty, or placeholder if one is given.
func wireContent(parts []chat.Part, placeholder string) any {
	chunks := make([]openai.ChatMessagePart, 0, len(parts))
	images := false
	for _, p := range parts {
		switch p.Type {
		case chat.PartImage:
			if p.ImageURL == "" {
				continue
			}
			images = true
			chunks = append(chunks, openai.ChatMessagePart{
				Type:     openai.ChatMessagePartTypeImageURL,
				ImageURL: &openai.ChatMessageImageURL{URL: p.ImageURL, Detail: openai.ImageURLDetail(p.Detail)},
			})
		default:
			if p.Text == "" {
				continue
			}
			chunks = append(chunks, openai.ChatMessagePart{Type: openai.ChatMessagePartTypeText, Text: p.Text})
		}
	}
	switch {
	case len(chunks) == 0:
		return placeholder
	case len(chunks) == 1 && !images:
		return chunks[0].Text
	}
	return chunks
}

// textParts returns the text parts of parts.
func textParts(parts []chat.Part) []chat.Part {
	out := make([]chat.Part, 0, len(parts))
	for _, p := range parts {
		if p.Type != chat.PartImage {
			out = append(out, p)
		}
	}
	return out
}

// toolCalls renders message i's calls with the ids the plan gave them.
// Arguments go as the JSON text the client sent (FunctionCall.arguments is
// object or string); an empty one becomes "{}" because the field is required
// and go-openai omits an empty string.
func toolCalls(i int, calls []chat.ToolCall, ids []string) ([]openai.ToolCall, error) {
	if len(calls) == 0 {
		return nil, nil
	}
	out := make([]openai.ToolCall, len(calls))
	for j, c := range calls {
		if !functionName.MatchString(c.Name) {
			return nil, fmt.Errorf("message %d: tool call %d names function %q; names must be 1-64 letters, digits, _ or -", i, j, c.Name)
		}
		args := strings.TrimSpace(c.Arguments)
		if args == "" {
			args = "{}"
		}
		out[j] = openai.ToolCall{
			ID:       ids[j],
			Type:     openai.ToolTypeFunction,
			Function: openai.FunctionCall{Name: c.Name, Arguments: args},
		}
	}
	return out, nil
}

// fixRoleOrder makes the roles follow Mistral's order (mistral-common
// validator.py _validate_message_order): after tool only assistant or tool,
// after assistant only assistant, user or tool, and system only first or
// after system or user. Anything else is "Unexpected role 'user' after role
// 'tool'", HTTP 400 code 3230.
//
// A system message after an assistant or tool message (a harness's
// mid-conversation reminder) becomes a user message in place: Mistral's
// prompting guide says to put what cannot go in the system prompt in the
// user prompt, and keeping its place keeps the conversation's order and the
// prompt prefix Mistral caches. Where a user message follows a tool result,
// an assistant turn is inserted (see bridgeText).
func fixRoleOrder(msgs []message) []message {
	out := msgs[:0:0]
	for _, m := range msgs {
		prev := ""
		if len(out) > 0 {
			prev = out[len(out)-1].Role
		}
		if m.Role == "system" && (prev == "assistant" || prev == "tool") {
			m.Role = "user"
		}
		if prev == "tool" && m.Role == "user" {
			out = append(out, message{Role: "assistant", Content: bridgeText})
		}
		out = append(out, m)
	}
	return out
}

// fixEnding applies Mistral's rule for the last message: user or tool, or an
// assistant message with prefix true ("Expected last role User or Tool (or
// Assistant with prefix True) for serving but got assistant";
// mistral-common _validate_last_message). A trailing assistant message is a
// client asking for its text to be continued, which is exactly what prefix
// means ("force the model to start its answer by the content of the
// message", AssistantMessage.prefix in openapi.yaml). A lone message must be
// user or system (_validate_message_list_structure).
//
// A conversation may not open with an assistant message that calls tools:
// the validator's pairing check skips the first message, so the results of
// those calls would be refused as unexpected (V13
// _validate_tool_calls_followed_by_tool_messages).
func fixEnding(msgs []message) error {
	if first := msgs[0]; first.Role == "assistant" && len(first.ToolCalls) > 0 {
		return errors.New("the conversation opens with an assistant tool call; Mistral needs a user or system message before it")
	}
	last := &msgs[len(msgs)-1]
	if len(msgs) == 1 && last.Role != "user" && last.Role != "system" {
		return fmt.Errorf("the conversation is a single %s message; Mistral needs a user or system message to answer", last.Role)
	}
	if last.Role == "system" && len(msgs) > 1 {
		// A closing instruction is read the same as the user's; after
		// fixRoleOrder the message before it is system or user, so this
		// keeps the order valid.
		last.Role = "user"
	}
	if last.Role == "assistant" {
		// planToolCallIDs has already refused unanswered calls, and empty
		// assistant messages were dropped, so this one has text.
		last.Prefix = true
	}
	return nil
}

// prefixOf returns the text of the prefix message Mistral will continue, if
// the request ends in one. The answer may repeat it; the stream removes it.
func prefixOf(r *chatRequest) string {
	last := r.Messages[len(r.Messages)-1]
	if !last.Prefix {
		return ""
	}
	s, _ := last.Content.(string)
	return s
}

// setSampling copies the sampling parameters, renamed and clamped to
// Mistral's bounds. user, seed (→ random_seed), max_completion_tokens
// (→ max_tokens) and stream_options are not in Mistral's schema and are
// never sent; Mistral puts usage on the final chunk by default.
func setSampling(out *chatRequest, req *chat.Request) {
	if t := req.Temperature; t != nil && !math.IsNaN(*t) {
		v := min(max(*t, 0), maxTemperature)
		out.Temperature = &v
	}
	if p := req.TopP; p != nil && !math.IsNaN(*p) {
		v := min(max(*p, 0), 1)
		out.TopP = &v
	}
	out.PresencePenalty = penalty(req.PresencePenalty)
	out.FrequencyPenalty = penalty(req.FrequencyPenalty)
	if req.MaxTokens > 0 {
		v := req.MaxTokens
		out.MaxTokens = &v
	}
	if req.Seed != nil {
		// random_seed has minimum 0; fold negative seeds onto the
		// non-negatives one to one so distinct seeds stay distinct.
		v := *req.Seed
		if v < 0 {
			v = -(v + 1)
		}
		out.RandomSeed = &v
	}
	for _, s := range req.Stop {
		if s != "" {
			out.Stop = append(out.Stop, s)
		}
	}
}

func penalty(p *float64) *float64 {
	if p == nil || math.IsNaN(*p) {
		return nil
	}
	v := min(max(*p, -2), 2)
	return &v
}

// setTools copies the tools and the tool choice. Mistral's Function requires
// parameters, so a tool without them gets the empty object schema.
// tool_choice "required" is sent as "any", the value every Mistral model has
// accepted ("required" was added to ToolChoiceEnum later; both force a call).
// tool_choice and parallel_tool_calls are only meaningful with tools and are
// left out without them.
func setTools(out *chatRequest, req *chat.Request) error {
	for i, t := range req.Tools {
		if !functionName.MatchString(t.Name) {
			return fmt.Errorf("tool %d is named %q; names must be 1-64 letters, digits, _ or -", i, t.Name)
		}
		params := json.RawMessage(`{"type":"object","properties":{}}`)
		if p := bytes.TrimSpace(t.Parameters); len(p) > 0 && !bytes.Equal(p, []byte("null")) {
			if p[0] != '{' || !json.Valid(p) {
				return fmt.Errorf("tool %q: parameters must be a JSON object", t.Name)
			}
			params = json.RawMessage(p)
		}
		out.Tools = append(out.Tools, openai.Tool{
			Type: openai.ToolTypeFunction,
			Function: &openai.FunctionDefinition{
				Name:        t.Name,
				Description: t.Description,
				Strict:      t.Strict,
				Parameters:  params,
			},
		})
	}
	if len(out.Tools) == 0 {
		return nil
	}
	out.ParallelToolCalls = req.ParallelToolCalls
	if tc := req.ToolChoice; tc != nil {
		switch tc.Mode {
		case "auto", "none":
			out.ToolChoice = tc.Mode
		case "required":
			out.ToolChoice = "any"
		case "function":
			if !functionName.MatchString(tc.Name) {
				return fmt.Errorf("tool_choice names function %q, which is not a valid function name", tc.Name)
			}
			out.ToolChoice = openai.ToolChoice{Type: openai.ToolTypeFunction, Function: openai.ToolFunction{Name: tc.Name}}
		case "":
		default:
			return fmt.Errorf("tool_choice %q is not auto, none, required or a function", tc.Mode)
		}
	}
	return nil
}

// setResponseFormat maps OpenAI's response_format onto Mistral's, which has
// the same shape (ResponseFormat and JsonSchema in openapi.yaml; name and
// schema are required there).
func setResponseFormat(out *chatRequest, rf *chat.ResponseFormat) error {
	if rf == nil {
		return nil
	}
	switch rf.Type {
	case "", "text":
	case "json_object":
		out.ResponseFormat = &openai.ChatCompletionResponseFormat{Type: openai.ChatCompletionResponseFormatTypeJSONObject}
	case "json_schema":
		schema := bytes.TrimSpace(rf.Schema)
		if len(schema) == 0 || schema[0] != '{' || !json.Valid(schema) {
			return errors.New("response_format json_schema needs a JSON object schema")
		}
		name := rf.Name
		if name == "" {
			name = "response"
		}
		out.ResponseFormat = &openai.ChatCompletionResponseFormat{
			Type: openai.ChatCompletionResponseFormatTypeJSONSchema,
			JSONSchema: &openai.ChatCompletionResponseFormatJSONSchema{
				Name:   name,
				Schema: json.RawMessage(schema),
				Strict: rf.Strict,
			},
		}
	default:
		return fmt.Errorf("response_format %q is not text, json_object or json_schema", rf.Type)
	}
	return nil
}

// reasoningEffort maps OpenAI's effort levels onto Mistral's two: "none"
// (and "minimal") think as little as possible, every other level thinks.
func reasoningEffort(e string) string {
	switch e {
	case "":
		return ""
	case "none", "minimal":
		return "none"
	}
	return "high"
}
