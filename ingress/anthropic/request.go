package anthropic

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/ingress"
)

// The Messages request as it arrives. Members this dialect does not use
// (context_management, output_config's other keys, betas, service_tier,
// container, mcp_servers, ...) have no field: encoding/json skips them, so
// they are accepted and ignored, as clients newer than this code need.
// Members whose elements are decoded one by one stay raw, so an error can
// name the element.
type wireRequest struct {
	Model         *string           `json:"model"`
	Messages      json.RawMessage   `json:"messages"`
	System        json.RawMessage   `json:"system"`
	MaxTokens     *int              `json:"max_tokens"`
	StopSequences []string          `json:"stop_sequences"`
	Stream        *bool             `json:"stream"`
	Temperature   *float64          `json:"temperature"`
	TopP          *float64          `json:"top_p"`
	TopK          *int              `json:"top_k"`
	Tools         []json.RawMessage `json:"tools"`
	ToolChoice    json.RawMessage   `json:"tool_choice"`
	Thinking      json.RawMessage   `json:"thinking"`
	OutputConfig  json.RawMessage   `json:"output_config"`
	Metadata      json.RawMessage   `json:"metadata"`
}

type wireTool struct {
	Type        string          `json:"type"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	InputSchema json.RawMessage `json:"input_schema"`
	Strict      *bool           `json:"strict"`
}

// decodeRequest reads a Messages body; count is a count_tokens body, which
// needs no max_tokens.
func decodeRequest(body []byte, count bool) (*ingress.Request, *ingress.Error) {
	var w wireRequest
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, jsonError("", err)
	}
	if isNull(w.Messages) {
		return nil, badParam("messages", "messages is required: an array of {\"role\", \"content\"} objects")
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(w.Messages, &elems); err != nil {
		return nil, badParam("messages", "messages must be an array of {\"role\", \"content\"} objects")
	}
	if len(elems) == 0 {
		return nil, badParam("messages", "messages must not be empty: send at least one user message")
	}
	req, e := decodeFields(&w, count)
	if e != nil {
		return nil, e
	}
	for i, raw := range elems {
		msgs, e := decodeMessage(raw, fmt.Sprintf("messages[%d]", i))
		if e != nil {
			return nil, e
		}
		req.Chat.Messages = append(req.Chat.Messages, msgs...)
	}
	return req, nil
}

// decodeFields decodes everything in w but the messages: the system
// prompt's message is the request's only message.
func decodeFields(w *wireRequest, count bool) (*ingress.Request, *ingress.Error) {
	req := &chat.Request{}
	if w.Model != nil {
		req.Model = *w.Model
	}
	if !isNull(w.System) {
		m, e := decodeSystem(w.System)
		if e != nil {
			return nil, e
		}
		if m != nil {
			req.Messages = []chat.Message{*m}
		}
	}
	switch {
	case w.MaxTokens != nil && *w.MaxTokens < 1:
		return nil, badParam("max_tokens", "max_tokens must be a positive integer, not %d", *w.MaxTokens)
	case w.MaxTokens != nil:
		req.MaxTokens = *w.MaxTokens
	case !count:
		return nil, badParam("max_tokens", "max_tokens is required: the most tokens the answer may have (Claude Code sends 32000)")
	}
	req.Stop = w.StopSequences
	if w.Stream != nil {
		req.Stream = *w.Stream
	}
	req.Temperature, req.TopP, req.TopK = w.Temperature, w.TopP, w.TopK
	for i, raw := range w.Tools {
		t, e := decodeTool(raw, fmt.Sprintf("tools[%d]", i))
		if e != nil {
			return nil, e
		}
		req.Tools = append(req.Tools, t)
	}
	if !isNull(w.ToolChoice) {
		if e := decodeToolChoice(w.ToolChoice, req); e != nil {
			return nil, e
		}
	}
	if !isNull(w.Thinking) {
		effort, e := decodeThinking(w.Thinking, w.OutputConfig)
		if e != nil {
			return nil, e
		}
		req.ReasoningEffort = effort
	}
	if !isNull(w.Metadata) {
		var md struct {
			UserID *string `json:"user_id"`
		}
		if err := json.Unmarshal(w.Metadata, &md); err != nil {
			return nil, jsonError("metadata", err)
		}
		if md.UserID != nil {
			req.User = *md.UserID
		}
	}
	return &ingress.Request{Chat: req}, nil
}

// billingHeader starts the first system block Claude Code sends: billing
// data for Anthropic, not words for the model, whose suffix changes on
// every request (NOTES.md §6, r26). Passed on, it would change the first
// tokens of every prompt and defeat a local model's prompt cache, so it
// is dropped.
const billingHeader = "x-anthropic-billing-header:"

// decodeSystem reads the top-level system prompt, a string or text blocks
// (cache_control accepted and ignored), into one system message with a part
// per block; nil when it holds nothing.
func decodeSystem(raw json.RawMessage) (*chat.Message, *ingress.Error) {
	parts, e := decodeTextOnly(raw, "system")
	if e != nil {
		return nil, e
	}
	kept := parts[:0]
	for _, p := range parts {
		if !strings.HasPrefix(p.Text, billingHeader) {
			kept = append(kept, p)
		}
	}
	if len(kept) == 0 || len(kept) == 1 && kept[0].Text == "" {
		return nil, nil
	}
	return &chat.Message{Role: chat.RoleSystem, Content: kept}, nil
}

// decodeTextOnly reads content that may only be text: a string or text
// blocks.
func decodeTextOnly(raw json.RawMessage, p string) ([]chat.Part, *ingress.Error) {
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, jsonError(p, err)
		}
		return []chat.Part{{Type: chat.PartText, Text: s}}, nil
	}
	var blocks []struct {
		Type string  `json:"type"`
		Text *string `json:"text"`
	}
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return nil, badParam(p, "%s must be a string or an array of text blocks ({\"type\": \"text\", \"text\": ...})", p)
	}
	parts := make([]chat.Part, 0, len(blocks))
	for i, b := range blocks {
		bp := fmt.Sprintf("%s[%d]", p, i)
		if b.Type != "text" {
			return nil, badParam(bp+".type", "%s.type must be \"text\", not %q: %s holds only text", bp, b.Type, p)
		}
		if b.Text == nil {
			return nil, badParam(bp+".text", "%s.text is required for a text block", bp)
		}
		parts = append(parts, chat.Part{Type: chat.PartText, Text: *b.Text})
	}
	return parts, nil
}

func decodeTool(raw json.RawMessage, p string) (chat.Tool, *ingress.Error) {
	var t wireTool
	if err := json.Unmarshal(raw, &t); err != nil {
		return chat.Tool{}, jsonError(p, err)
	}
	if t.Type != "" && t.Type != "custom" {
		name := t.Name
		if name == "" {
			name = t.Type
		}
		return chat.Tool{}, badParam(p+".type", "%s is Anthropic's server tool %q (type %q), which runs on Anthropic's servers and which switchyard cannot run: remove it, or offer it as a client tool (type \"custom\" with an input_schema)", p, name, t.Type)
	}
	if t.Name == "" {
		return chat.Tool{}, badParam(p+".name", "%s.name is required", p)
	}
	tool := chat.Tool{Name: t.Name, Description: t.Description}
	if !isNull(t.InputSchema) {
		if !isObject(t.InputSchema) {
			return chat.Tool{}, badParam(p+".input_schema", "%s.input_schema must be a JSON Schema object", p)
		}
		tool.Parameters = t.InputSchema
	}
	if t.Strict != nil {
		tool.Strict = *t.Strict
	}
	return tool, nil
}

func decodeToolChoice(raw json.RawMessage, req *chat.Request) *ingress.Error {
	var tc struct {
		Type                   string `json:"type"`
		Name                   string `json:"name"`
		DisableParallelToolUse *bool  `json:"disable_parallel_tool_use"`
	}
	if err := json.Unmarshal(raw, &tc); err != nil {
		return badParam("tool_choice", "tool_choice must be an object: {\"type\": \"auto\"}, {\"type\": \"any\"}, {\"type\": \"tool\", \"name\": ...} or {\"type\": \"none\"}")
	}
	switch tc.Type {
	case "auto", "none":
		req.ToolChoice = &chat.ToolChoice{Mode: tc.Type}
	case "any":
		req.ToolChoice = &chat.ToolChoice{Mode: "required"}
	case "tool":
		if tc.Name == "" {
			return badParam("tool_choice.name", "tool_choice.name is required when tool_choice.type is \"tool\"")
		}
		req.ToolChoice = &chat.ToolChoice{Mode: "function", Name: tc.Name}
	default:
		return badParam("tool_choice.type", "tool_choice.type must be auto, any, tool or none, not %q", tc.Type)
	}
	if tc.DisableParallelToolUse != nil && *tc.DisableParallelToolUse {
		no := false
		req.ParallelToolCalls = &no
	}
	return nil
}

// Thinking budgets map to an effort at these bounds. They put Claude Code's
// budgets for "think", "think hard" and "ultrathink" (4000, 10000, 31999;
// 31999 seen in NOTES.md §2) in low, medium and high.
const (
	lowBudgetMax    = 4096
	mediumBudgetMax = 16384
)

// decodeThinking maps thinking to an effort: disabled is "none"; enabled
// picks one by budget_tokens; adaptive is output_config.effort's or
// "medium". A type newer than this code leaves the effort unsaid (the
// model's default) rather than refusing a client that asks for thinking.
func decodeThinking(raw, outputConfig json.RawMessage) (string, *ingress.Error) {
	var th struct {
		Type         string `json:"type"`
		BudgetTokens *int   `json:"budget_tokens"`
	}
	if err := json.Unmarshal(raw, &th); err != nil {
		return "", badParam("thinking", "thinking must be an object: {\"type\": \"enabled\", \"budget_tokens\": N}, {\"type\": \"adaptive\"} or {\"type\": \"disabled\"}")
	}
	switch th.Type {
	case "disabled":
		return "none", nil
	case "enabled":
		if th.BudgetTokens == nil {
			return "medium", nil
		}
		switch b := *th.BudgetTokens; {
		case b < 1:
			return "", badParam("thinking.budget_tokens", "thinking.budget_tokens must be a positive integer, not %d", b)
		case b <= lowBudgetMax:
			return "low", nil
		case b <= mediumBudgetMax:
			return "medium", nil
		}
		return "high", nil
	case "adaptive":
		var oc struct {
			Effort string `json:"effort"`
		}
		// output_config is otherwise ignored: a shape this code does not
		// know is no reason to refuse.
		json.Unmarshal(outputConfig, &oc)
		switch oc.Effort {
		case "low", "medium", "high":
			return oc.Effort, nil
		case "max", "xhigh":
			return "high", nil
		}
		return "medium", nil
	case "":
		return "", badParam("thinking.type", "thinking.type is required: enabled, adaptive or disabled")
	}
	return "", nil
}

var badParam = ingress.BadParam

// jsonError is ingress.JSONError for this dialect's body.
func jsonError(prefix string, err error) *ingress.Error {
	return ingress.JSONError(prefix, "the Messages request", err)
}

var isNull, isObject = ingress.IsNull, ingress.IsObject
