package responses

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/ingress"
)

// The Responses create body as it arrives (OpenAI API reference,
// "Create a model response"; the recorded Codex 0.169 request in
// research/captures/codex-0.169.json). Only this package knows its shape.
type wireRequest struct {
	Model              *string          `json:"model"`
	Input              json.RawMessage  `json:"input"`
	Instructions       json.RawMessage  `json:"instructions"`
	Tools              []wireTool       `json:"tools"`
	ToolChoice         json.RawMessage  `json:"tool_choice"`
	ParallelToolCalls  *bool            `json:"parallel_tool_calls"`
	MaxOutputTokens    *int             `json:"max_output_tokens"`
	Temperature        *float64         `json:"temperature"`
	TopP               *float64         `json:"top_p"`
	Reasoning          *wireReasoning   `json:"reasoning"`
	Text               *wireText        `json:"text"`
	Stream             *bool            `json:"stream"`
	Store              *bool            `json:"store"`
	PreviousResponseID *string          `json:"previous_response_id"`
	Conversation       json.RawMessage  `json:"conversation"`
	Background         *bool            `json:"background"`
	User               *string          `json:"user"`
	SafetyIdentifier   *string          `json:"safety_identifier"`
	Metadata           map[string]any   `json:"metadata"`
	Prompt             json.RawMessage  `json:"prompt"`
	Truncation         *string          `json:"truncation"`
	MaxToolCalls       *int             `json:"max_tool_calls"`
	TopLogprobs        *int             `json:"top_logprobs"`
	Include            []string         `json:"include"`
	StreamOptions      *json.RawMessage `json:"stream_options"`
}

type wireReasoning struct {
	Effort  *string `json:"effort"`
	Summary *string `json:"summary"`
}

type wireText struct {
	Format *wireFormat `json:"format"`
}

type wireFormat struct {
	Type        string          `json:"type"`
	Name        string          `json:"name"`
	Schema      json.RawMessage `json:"schema"`
	Strict      *bool           `json:"strict"`
	Description string          `json:"description"`
}

type wireTool struct {
	Type        string          `json:"type"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Parameters  json.RawMessage `json:"parameters"`
	Strict      *bool           `json:"strict"`
	// Tools are a namespace's own.
	Tools []wireTool `json:"tools"`
	// Format is a custom tool's input format (text or a grammar).
	Format json.RawMessage `json:"format"`
}

// wireItem is one input item: a message (with or without "type"), a call
// the model made, a call's output, or a piece of reasoning.
type wireItem struct {
	Type    string          `json:"type"`
	ID      string          `json:"id"`
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
	// function_call and custom_tool_call.
	CallID    string          `json:"call_id"`
	Name      string          `json:"name"`
	Namespace string          `json:"namespace"`
	Arguments json.RawMessage `json:"arguments"`
	Input     *string         `json:"input"`
	// function_call_output and custom_tool_call_output.
	Output json.RawMessage `json:"output"`
	// reasoning.
	Summary []wireSummary `json:"summary"`
}

type wireSummary struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type wirePart struct {
	Type     string  `json:"type"`
	Text     *string `json:"text"`
	Refusal  *string `json:"refusal"`
	ImageURL *string `json:"image_url"`
	FileID   *string `json:"file_id"`
	Detail   string  `json:"detail"`
}

// hostedTools are the tool types OpenAI runs on its side: no provider
// behind switchyard can run them, so they are left out of the job and the
// decision names them (X-Switchyard-Dropped-Tools). local_shell and
// apply_patch are run by the client, but only for calls in their own item
// types, which only OpenAI's models make.
var hostedTools = map[string]bool{
	"web_search": true, "web_search_preview": true, "web_search_2025_08_26": true,
	"web_search_preview_2025_03_11": true, "file_search": true, "code_interpreter": true,
	"computer_use_preview": true, "computer_use": true, "image_generation": true, "mcp": true,
	"local_shell": true, "apply_patch": true, "shell": true, "tool_search": true,
}

// skippedItems are the item types of hosted tools' calls and of OpenAI's
// own opaque state. They mean nothing to another model and there is
// nothing in them to keep: the text the model wrote after a search is in
// its message item. They are left out of the job.
var skippedItems = map[string]bool{
	"web_search_call": true, "file_search_call": true, "code_interpreter_call": true,
	"computer_call": true, "computer_call_output": true, "image_generation_call": true,
	"mcp_call": true, "mcp_list_tools": true, "mcp_approval_request": true, "mcp_approval_response": true,
	"compaction": true, "compaction_summary": true, "tool_search_call": true, "tool_search_output": true,
}

// decodeRequest reads a Responses create body; prior is the history
// previous_response_id names, looked up in the store.
func (d *Dialect) decodeRequest(body []byte) (*ingress.Request, *ingress.Error) {
	var w wireRequest
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, jsonError("", err)
	}
	if ingress.IsNull(w.Input) {
		if w.PreviousResponseID == nil {
			return nil, badParam("input", "input is required: a string, or an array of input items")
		}
	}
	req, e := d.decodeFields(&w)
	if e != nil {
		return nil, e
	}
	msgs, e := decodeInput(w.Input)
	if e != nil {
		return nil, e
	}
	req.Chat.Messages = append(req.Chat.Messages, msgs...)
	if len(req.Chat.Messages) == 0 {
		return nil, badParam("input", "input must hold at least one message")
	}
	return req, nil
}

// decodeInput decodes input: a string (one user message) or items.
func decodeInput(raw json.RawMessage) ([]chat.Message, *ingress.Error) {
	if ingress.IsNull(raw) {
		return nil, nil
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, jsonError("input", err)
		}
		return []chat.Message{{Role: chat.RoleUser, Content: []chat.Part{{Type: chat.PartText, Text: s}}}}, nil
	case '[':
	default:
		return nil, badParam("input", "input must be a string or an array of input items")
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, jsonError("input", err)
	}
	var out []chat.Message
	for i, it := range items {
		msgs, e := decodeItem(it, fmt.Sprintf("input[%d]", i))
		if e != nil {
			return nil, e
		}
		out = append(out, msgs...)
	}
	return out, nil
}

// decodeItem decodes one input item into the messages it stands for:
// one, or none for an item with nothing another model can use.
func decodeItem(raw json.RawMessage, p string) ([]chat.Message, *ingress.Error) {
	if !ingress.IsObject(raw) {
		return nil, badParam(p, "%s must be an object (an input item)", p)
	}
	var it wireItem
	if err := json.Unmarshal(raw, &it); err != nil {
		return nil, jsonError(p, err)
	}
	switch it.Type {
	case "message", "":
		if it.Type == "" && it.Role == "" {
			return nil, badParam(p+".type", "%s.type is required (message, function_call, function_call_output, reasoning, ...)", p)
		}
		m, e := decodeMessage(&it, p)
		if e != nil {
			return nil, e
		}
		return []chat.Message{m}, nil
	case "function_call":
		if it.Name == "" {
			return nil, badParam(p+".name", "%s.name is required for a function_call", p)
		}
		if it.CallID == "" {
			return nil, badParam(p+".call_id", "%s.call_id is required for a function_call", p)
		}
		args, e := ingress.ToolArguments(it.Arguments, p+".arguments")
		if e != nil {
			return nil, e
		}
		return []chat.Message{{Role: chat.RoleAssistant, ToolCalls: []chat.ToolCall{{ID: it.CallID, Name: it.Name, Arguments: args}}}}, nil
	case "custom_tool_call":
		if it.Name == "" || it.CallID == "" || it.Input == nil {
			return nil, badParam(p, "%s: a custom_tool_call needs name, call_id and input", p)
		}
		args, _ := json.Marshal(map[string]string{customInput: *it.Input})
		return []chat.Message{{Role: chat.RoleAssistant, ToolCalls: []chat.ToolCall{{ID: it.CallID, Name: it.Name, Arguments: string(args)}}}}, nil
	case "function_call_output", "custom_tool_call_output":
		if it.CallID == "" {
			return nil, badParam(p+".call_id", "%s.call_id is required for a %s", p, it.Type)
		}
		parts, e := decodeOutput(it.Output, p+".output")
		if e != nil {
			return nil, e
		}
		return []chat.Message{{Role: chat.RoleTool, ToolCallID: it.CallID, Content: parts}}, nil
	case "reasoning":
		// encrypted_content is OpenAI's own state, readable only by the
		// model that wrote it: left out. The summary is the readable part.
		var b strings.Builder
		for _, s := range it.Summary {
			if b.Len() > 0 && s.Text != "" {
				b.WriteString("\n\n")
			}
			b.WriteString(s.Text)
		}
		if b.Len() == 0 {
			return nil, nil
		}
		return []chat.Message{{Role: chat.RoleAssistant, Content: []chat.Part{}, Reasoning: []chat.Reasoning{{Text: b.String()}}}}, nil
	case "item_reference":
		return nil, badParam(p+".type", "%s: item_reference is not supported: send the item itself (switchyard keeps whole responses for previous_response_id, not single items)", p)
	}
	if skippedItems[it.Type] {
		return nil, nil
	}
	return nil, badParam(p+".type", "%s.type %q is not an input item switchyard knows (message, function_call, function_call_output, custom_tool_call, custom_tool_call_output, reasoning)", p, it.Type)
}

func decodeMessage(it *wireItem, p string) (chat.Message, *ingress.Error) {
	var m chat.Message
	switch it.Role {
	case "system", "developer":
		m.Role = chat.RoleSystem
	case "user":
		m.Role = chat.RoleUser
	case "assistant":
		m.Role = chat.RoleAssistant
	case "":
		return m, badParam(p+".role", "%s.role is required for a message", p)
	default:
		return m, badParam(p+".role", "%s.role must be user, assistant, system or developer, not %q", p, it.Role)
	}
	parts, e := decodeContent(it.Content, p+".content")
	if e != nil {
		return m, e
	}
	if parts == nil {
		return m, badParam(p+".content", "%s.content is required: a string or an array of content parts", p)
	}
	m.Content = parts
	return m, nil
}

// decodeContent reads a message's content: a string, or parts.
func decodeContent(raw json.RawMessage, p string) ([]chat.Part, *ingress.Error) {
	if ingress.IsNull(raw) {
		return nil, nil
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, jsonError(p, err)
		}
		return []chat.Part{{Type: chat.PartText, Text: s}}, nil
	case '[':
	default:
		return nil, badParam(p, "%s must be a string or an array of content parts", p)
	}
	var parts []wirePart
	if err := json.Unmarshal(raw, &parts); err != nil {
		return nil, jsonError(p, err)
	}
	out := make([]chat.Part, 0, len(parts))
	for i := range parts {
		pt := &parts[i]
		pp := fmt.Sprintf("%s[%d]", p, i)
		switch pt.Type {
		case "input_text", "output_text", "text", "summary_text", "reasoning_text":
			if pt.Text == nil {
				return nil, badParam(pp+".text", "%s.text is required for a %s part", pp, pt.Type)
			}
			out = append(out, chat.Part{Type: chat.PartText, Text: *pt.Text})
		case "refusal":
			if pt.Refusal != nil {
				out = append(out, chat.Part{Type: chat.PartText, Text: *pt.Refusal})
			}
		case "input_image":
			if pt.ImageURL == nil || *pt.ImageURL == "" {
				if pt.FileID != nil {
					return nil, badParam(pp+".file_id", "%s: images by file_id are not supported (switchyard has no Files API): send image_url, an https or data: URL", pp)
				}
				return nil, badParam(pp+".image_url", "%s.image_url is required for an input_image part", pp)
			}
			out = append(out, chat.Part{Type: chat.PartImage, ImageURL: *pt.ImageURL, Detail: pt.Detail})
		case "input_file":
			return nil, badParam(pp+".type", "%s: input_file parts are not supported: send the file's text as an input_text part", pp)
		case "":
			return nil, badParam(pp+".type", "%s.type is required", pp)
		default:
			return nil, badParam(pp+".type", "%s.type %q is not supported (input_text, output_text, refusal and input_image are)", pp, pt.Type)
		}
	}
	return out, nil
}

// decodeOutput reads a call's output: a string, or input_text and
// input_image parts.
func decodeOutput(raw json.RawMessage, p string) ([]chat.Part, *ingress.Error) {
	if ingress.IsNull(raw) {
		return nil, badParam(p, "%s is required: the call's result, a string or content parts", p)
	}
	if raw[0] == '{' {
		// Codex before 0.40 sent {"content": "...", "success": false} for
		// a failed call.
		var o struct {
			Content *string `json:"content"`
		}
		if err := json.Unmarshal(raw, &o); err != nil || o.Content == nil {
			return nil, badParam(p, "%s must be a string or an array of content parts", p)
		}
		return []chat.Part{{Type: chat.PartText, Text: *o.Content}}, nil
	}
	return decodeContent(raw, p)
}

// customInput is the one argument a custom (freeform) tool gets when it is
// offered to models as a function: the text the tool takes.
const customInput = "input"

// customParameters is the schema of a custom tool offered as a function.
const customParameters = `{"type":"object","properties":{"input":{"type":"string","description":"The tool's whole input, as free text in the format its description gives."}},"required":["input"],"additionalProperties":false}`

// Options is what an answer needs of the request beyond the job.
type Options struct {
	// Store is whether the response is kept for previous_response_id.
	Store bool
	// PreviousResponseID is echoed in the response.
	PreviousResponseID string
	// Instructions is how many leading messages are the instructions,
	// which a stored response leaves out (OpenAI: instructions do not
	// carry over to the next response).
	Instructions int
	// Namespaces maps a function offered from a namespace to it, so its
	// calls go back with the namespace the client gave.
	Namespaces map[string]string
	// Custom names the custom tools, whose calls go back as
	// custom_tool_call items.
	Custom map[string]bool
	// Echo is what the response object repeats of the request.
	Echo Echo
}

// Echo is the request's settings a response object repeats.
type Echo struct {
	Temperature, TopP *float64
	MaxOutputTokens   *int
	ParallelToolCalls bool
	ToolChoice        json.RawMessage
	Effort, Summary   *string
	Metadata          map[string]any
	TextFormat        *wireFormat
}

// decodeFields decodes everything in w but input: the instructions and
// the history previous_response_id names come back as Chat.Messages.
func (d *Dialect) decodeFields(w *wireRequest) (*ingress.Request, *ingress.Error) {
	req := &chat.Request{}
	opts := Options{Store: true, Echo: Echo{ParallelToolCalls: true}}
	if w.Model != nil {
		req.Model = *w.Model
	}
	if w.Background != nil && *w.Background {
		return nil, badParam("background", "background responses are not supported: switchyard answers while the client waits; leave background out")
	}
	if !ingress.IsNull(w.Conversation) {
		return nil, badParam("conversation", "conversation is not supported (switchyard has no Conversations API): send the history as input, or chain with previous_response_id")
	}
	if !ingress.IsNull(w.Prompt) {
		return nil, badParam("prompt", "prompt templates are not supported: send instructions and input")
	}
	if w.Store != nil {
		opts.Store = *w.Store
	}
	if !ingress.IsNull(w.Instructions) {
		var s string
		if err := json.Unmarshal(w.Instructions, &s); err != nil {
			return nil, badParam("instructions", "instructions must be a string")
		}
		if s != "" {
			req.Messages = append(req.Messages, chat.Message{Role: chat.RoleSystem, Content: []chat.Part{{Type: chat.PartText, Text: s}}})
			opts.Instructions = 1
		}
	}
	if w.PreviousResponseID != nil && *w.PreviousResponseID != "" {
		id := *w.PreviousResponseID
		prior, ok := d.store.get(id)
		if !ok {
			e := badParam("previous_response_id", "Previous response with id '%s' not found. switchyard keeps the last %d responses made with store on (%d MiB), in memory, until it restarts: send the whole conversation as input instead (as Codex does with store false)", id, storeResponses, storeBytes>>20)
			e.Code = codePreviousNotFound
			return nil, e
		}
		req.Messages = append(req.Messages, prior...)
		opts.PreviousResponseID = id
	}
	if e := decodeTools(w.Tools, req, &opts); e != nil {
		return nil, e
	}
	if !ingress.IsNull(w.ToolChoice) {
		tc, e := decodeToolChoice(w.ToolChoice)
		if e != nil {
			return nil, e
		}
		req.ToolChoice = tc
		opts.Echo.ToolChoice = w.ToolChoice
	}
	req.ParallelToolCalls = w.ParallelToolCalls
	if w.ParallelToolCalls != nil {
		opts.Echo.ParallelToolCalls = *w.ParallelToolCalls
	}
	if w.Stream != nil {
		req.Stream = *w.Stream
	}
	req.Temperature, req.TopP = w.Temperature, w.TopP
	opts.Echo.Temperature, opts.Echo.TopP, opts.Echo.MaxOutputTokens = w.Temperature, w.TopP, w.MaxOutputTokens
	if w.MaxOutputTokens != nil {
		if *w.MaxOutputTokens <= 0 {
			return nil, badParam("max_output_tokens", "max_output_tokens must be a positive integer")
		}
		req.MaxTokens = *w.MaxOutputTokens
	}
	if w.Reasoning != nil {
		opts.Echo.Effort, opts.Echo.Summary = w.Reasoning.Effort, w.Reasoning.Summary
		if w.Reasoning.Effort != nil {
			effort, e := decodeEffort(*w.Reasoning.Effort)
			if e != nil {
				return nil, e
			}
			req.ReasoningEffort = effort
		}
	}
	if w.Text != nil && w.Text.Format != nil {
		rf, e := decodeFormat(w.Text.Format)
		if e != nil {
			return nil, e
		}
		req.ResponseFormat = rf
		opts.Echo.TextFormat = w.Text.Format
	}
	switch {
	case w.User != nil:
		req.User = *w.User
	case w.SafetyIdentifier != nil:
		req.User = *w.SafetyIdentifier
	}
	opts.Echo.Metadata = w.Metadata
	return &ingress.Request{Chat: req, Options: opts}, nil
}

// decodeTools flattens tools into req.Tools: functions as they are, a
// namespace's functions by their own names (a name two namespaces share
// is prefixed with its namespace and "__"), custom tools as functions of
// one string argument, hosted tools left out and named in DroppedTools.
func decodeTools(tools []wireTool, req *chat.Request, opts *Options) *ingress.Error {
	seen := map[string]bool{}
	add := func(t *wireTool, p, namespace string) *ingress.Error {
		if t.Name == "" {
			return badParam(p+".name", "%s.name is required", p)
		}
		name := t.Name
		if seen[name] && namespace != "" {
			name = namespace + "__" + t.Name
		}
		if seen[name] {
			return badParam(p+".name", "%s.name %q is offered twice", p, t.Name)
		}
		seen[name] = true
		tool := chat.Tool{Name: name, Description: t.Description}
		switch t.Type {
		case "function":
			if !ingress.IsNull(t.Parameters) {
				if !ingress.IsObject(t.Parameters) {
					return badParam(p+".parameters", "%s.parameters must be a JSON Schema object", p)
				}
				tool.Parameters = t.Parameters
			}
			if t.Strict != nil {
				tool.Strict = *t.Strict
			}
		case "custom":
			tool.Parameters = json.RawMessage(customParameters)
			if opts.Custom == nil {
				opts.Custom = map[string]bool{}
			}
			opts.Custom[name] = true
		}
		if namespace != "" {
			if opts.Namespaces == nil {
				opts.Namespaces = map[string]string{}
			}
			opts.Namespaces[name] = namespace
		}
		req.Tools = append(req.Tools, tool)
		return nil
	}
	for i := range tools {
		t := &tools[i]
		p := fmt.Sprintf("tools[%d]", i)
		switch {
		case t.Type == "function" || t.Type == "custom":
			if e := add(t, p, ""); e != nil {
				return e
			}
		case t.Type == "namespace":
			if t.Name == "" {
				return badParam(p+".name", "%s.name is required for a namespace", p)
			}
			for j := range t.Tools {
				sub := &t.Tools[j]
				sp := fmt.Sprintf("%s.tools[%d]", p, j)
				if sub.Type != "function" && sub.Type != "custom" {
					return badParam(sp+".type", "%s.type must be function or custom, not %q", sp, sub.Type)
				}
				if e := add(sub, sp, t.Name); e != nil {
					return e
				}
			}
		case hostedTools[t.Type]:
			req.DroppedTools = append(req.DroppedTools, t.Type)
		case t.Type == "":
			return badParam(p+".type", "%s.type is required", p)
		default:
			return badParam(p+".type", "%s.type %q is not a tool switchyard knows (function, custom, namespace, or a hosted tool, which is left out)", p, t.Type)
		}
	}
	return nil
}

func decodeToolChoice(raw json.RawMessage) (*chat.ToolChoice, *ingress.Error) {
	if raw[0] == '"' {
		var s string
		json.Unmarshal(raw, &s)
		switch s {
		case "auto", "none", "required":
			return &chat.ToolChoice{Mode: s}, nil
		}
		return nil, badParam("tool_choice", "tool_choice must be auto, none, required or an object, not %q", s)
	}
	var o struct {
		Type string `json:"type"`
		Name string `json:"name"`
		Mode string `json:"mode"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, badParam("tool_choice", `tool_choice must be a string or {"type":"function","name":...}`)
	}
	switch {
	case o.Type == "function" || o.Type == "custom":
		if o.Name == "" {
			return nil, badParam("tool_choice.name", "tool_choice.name is required for a %s choice", o.Type)
		}
		return &chat.ToolChoice{Mode: "function", Name: o.Name}, nil
	case o.Type == "allowed_tools":
		// The subset is a hint for OpenAI's cache; every tool stays
		// offered, with the mode asked for.
		if o.Mode == "required" {
			return &chat.ToolChoice{Mode: "required"}, nil
		}
		return &chat.ToolChoice{Mode: "auto"}, nil
	case hostedTools[o.Type]:
		return nil, badParam("tool_choice.type", "tool_choice forces the hosted tool %s, which no model behind switchyard can run: choose auto, or one of your functions", o.Type)
	}
	return nil, badParam("tool_choice.type", "tool_choice.type must be function, custom or allowed_tools, not %q", o.Type)
}

// decodeEffort maps reasoning.effort onto chat's levels: minimal is low,
// xhigh is high.
func decodeEffort(s string) (string, *ingress.Error) {
	switch s {
	case "none", "low", "medium", "high":
		return s, nil
	case "minimal":
		return "low", nil
	case "xhigh":
		return "high", nil
	}
	return "", badParam("reasoning.effort", "reasoning.effort must be none, minimal, low, medium, high or xhigh, not %q", s)
}

func decodeFormat(f *wireFormat) (*chat.ResponseFormat, *ingress.Error) {
	switch f.Type {
	case "text", "":
		return nil, nil
	case "json_object":
		return &chat.ResponseFormat{Type: "json_object"}, nil
	case "json_schema":
		if !ingress.IsObject(f.Schema) {
			return nil, badParam("text.format.schema", "text.format.schema must be a JSON Schema object")
		}
		rf := &chat.ResponseFormat{Type: "json_schema", Name: f.Name, Schema: f.Schema}
		if f.Strict != nil {
			rf.Strict = *f.Strict
		}
		return rf, nil
	}
	return nil, badParam("text.format.type", "text.format.type must be text, json_object or json_schema, not %q", f.Type)
}

var badParam = ingress.BadParam

// jsonError is ingress.JSONError for this dialect's body.
func jsonError(prefix string, err error) *ingress.Error {
	return ingress.JSONError(prefix, "the Responses request", err)
}
