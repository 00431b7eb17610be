package ollama

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/switchyard/switchyard/chat"
)

// translate turns a switchyard Request into Ollama's /api/chat body, sending
// the window numCtx. thinks says whether the model has the thinking
// capability. Every error is a KindRequest *providers.Error naming what is
// wrong with the job.
func (p *Provider) translate(req *chat.Request, numCtx int, thinks thinkMode) (*chatRequest, error) {
	no := false
	out := &chatRequest{
		Model:    p.opts.Model,
		Stream:   true,
		Truncate: &no,
		Shift:    &no,
		Options: chatOptions{
			NumCtx:           numCtx,
			Temperature:      req.Temperature,
			TopP:             req.TopP,
			PresencePenalty:  req.PresencePenalty,
			FrequencyPenalty: req.FrequencyPenalty,
			Seed:             req.Seed,
			Stop:             req.Stop,
		},
		KeepAlive: p.keepAlive,
	}
	if req.MaxTokens > 0 {
		out.Options.NumPredict = req.MaxTokens
	}
	msgs, err := p.translateMessages(req.Messages)
	if err != nil {
		return nil, err
	}
	out.Messages = msgs
	if out.Tools, err = p.translateTools(req.Tools, req.ToolChoice); err != nil {
		return nil, err
	}
	if out.Format, err = p.translateFormat(req.ResponseFormat); err != nil {
		return nil, err
	}
	if out.Think, err = p.translateThink(req.ReasoningEffort, thinks); err != nil {
		return nil, err
	}
	return out, nil
}

// translateMessages converts the conversation. Tool results need the name
// of the tool that produced them (Ollama's templates render tool_name), which
// OpenAI carries only on the assistant's call: it is looked up through
// tool_call_id, as Ollama's own /v1 layer does (openai/openai.go
// nameFromToolCallID).
func (p *Provider) translateMessages(in []chat.Message) ([]chatMessage, error) {
	if len(in) == 0 {
		return nil, p.requestError("the request has no messages")
	}
	callNames := make(map[string]string)
	out := make([]chatMessage, 0, len(in))
	for i := range in {
		m := &in[i]
		cm := chatMessage{Role: string(m.Role)}
		switch m.Role {
		case chat.RoleSystem, chat.RoleUser, chat.RoleAssistant, chat.RoleTool:
		default:
			return nil, p.requestError("message %d has unknown role %q", i, m.Role)
		}
		text, images, err := p.translateContent(i, m.Content)
		if err != nil {
			return nil, err
		}
		cm.Content, cm.Images = text, images
		for j, tc := range m.ToolCalls {
			args, err := toolArguments(tc.Arguments)
			if err != nil {
				return nil, p.requestError("message %d: tool call %d (%s, id %q) has invalid JSON arguments: %v", i, j, tc.Name, tc.ID, err)
			}
			cm.ToolCalls = append(cm.ToolCalls, chatToolCall{
				ID:       tc.ID,
				Function: chatToolFunction{Index: j, Name: tc.Name, Arguments: args},
			})
			if tc.ID != "" {
				callNames[tc.ID] = tc.Name
			}
		}
		if m.Role == chat.RoleTool {
			cm.ToolCallID = m.ToolCallID
			cm.ToolName = callNames[m.ToolCallID]
			if cm.ToolName == "" {
				// A client that names the tool on the result itself (OpenAI's
				// legacy function role did) still gets it through.
				cm.ToolName = m.Name
			}
		}
		out = append(out, cm)
	}
	return out, nil
}

// translateContent joins text parts and collects images as base64. Parts
// are joined with a newline: Ollama's /v1 layer turns each part into a
// message of its own, so parts are separate units of text, and gluing them
// without a separator would merge the last word of one with the first of
// the next.
func (p *Provider) translateContent(msg int, parts []chat.Part) (string, []string, error) {
	var text strings.Builder
	var images []string
	first := true
	for j, part := range parts {
		switch part.Type {
		case chat.PartText:
			if !first {
				text.WriteByte('\n')
			}
			text.WriteString(part.Text)
			first = false
		case chat.PartImage:
			b64, err := imageBase64(part.ImageURL)
			if err != nil {
				return "", nil, p.requestError("message %d, part %d: %v", msg, j, err)
			}
			images = append(images, b64)
		default:
			return "", nil, p.requestError("message %d, part %d: unsupported content type %q", msg, j, part.Type)
		}
	}
	return text.String(), images, nil
}

// imageBase64 returns the standard base64 of an image given as a data: URL.
// Ollama decodes images as standard base64 (api.ImageData is a []byte) and
// cannot fetch URLs; switchyard does not fetch them on its behalf either,
// since a private job must not make outbound requests.
func imageBase64(url string) (string, error) {
	lower := strings.ToLower(url)
	if strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://") {
		return "", errorString("image URLs cannot be sent to Ollama, which does not fetch them; send the image inline as a data: URL with base64 content")
	}
	if !strings.HasPrefix(lower, "data:") {
		return "", errorString("an image must be a data: URL with base64 content")
	}
	meta, payload, ok := strings.Cut(url[len("data:"):], ",")
	if !ok || !strings.HasSuffix(strings.ToLower(meta), ";base64") {
		return "", errorString("an image data: URL must be base64-encoded (data:<type>;base64,<data>)")
	}
	payload = strings.TrimSpace(payload)
	if _, err := base64.StdEncoding.DecodeString(payload); err == nil {
		return payload, nil
	}
	// Some clients send unpadded or URL-safe base64; re-encode it as the
	// standard form Ollama's JSON decoder requires.
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if raw, err := enc.DecodeString(payload); err == nil {
			return base64.StdEncoding.EncodeToString(raw), nil
		}
	}
	return "", errorString("the image data: URL does not hold valid base64")
}

type errorString string

func (e errorString) Error() string { return string(e) }

// toolArguments decodes OpenAI's JSON-text arguments into the JSON object
// Ollama wants. Empty arguments mean a call without parameters.
func toolArguments(s string) (json.RawMessage, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return json.RawMessage("{}"), nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(s)); err != nil {
		return nil, err
	}
	if buf.Bytes()[0] != '{' {
		return nil, errorString("arguments must be a JSON object")
	}
	return buf.Bytes(), nil
}

// translateTools maps tools and tool_choice. Ollama has no tool_choice
// (PROVIDERS.md §2): "none" is honoured by sending no tools, a named
// function by offering only that one; "required" cannot be enforced and is
// sent as "auto".
func (p *Provider) translateTools(tools []chat.Tool, choice *chat.ToolChoice) ([]chatTool, error) {
	if choice != nil && choice.Mode == "none" {
		return nil, nil
	}
	only := ""
	if choice != nil && choice.Mode == "function" {
		only = choice.Name
	}
	out := make([]chatTool, 0, len(tools))
	for _, t := range tools {
		if only != "" && t.Name != only {
			continue
		}
		if t.Name == "" {
			return nil, p.requestError("a tool has no name")
		}
		var params json.RawMessage
		if len(t.Parameters) > 0 && string(t.Parameters) != "null" {
			if !json.Valid(t.Parameters) {
				return nil, p.requestError("tool %s: parameters are not valid JSON", t.Name)
			}
			params = t.Parameters
		}
		out = append(out, chatTool{Type: "function", Function: chatToolSpec{Name: t.Name, Description: t.Description, Parameters: params}})
	}
	if only != "" && len(out) == 0 {
		return nil, p.requestError("tool_choice names function %q, which is not among the tools", only)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// translateFormat maps response_format: json_object becomes "json",
// json_schema the schema itself (docs/api.md "Structured outputs").
func (p *Provider) translateFormat(rf *chat.ResponseFormat) (json.RawMessage, error) {
	if rf == nil {
		return nil, nil
	}
	switch rf.Type {
	case "", "text":
		return nil, nil
	case "json_object":
		return json.RawMessage(`"json"`), nil
	case "json_schema":
		s := bytes.TrimSpace(rf.Schema)
		if len(s) == 0 || string(s) == "null" {
			return json.RawMessage(`"json"`), nil
		}
		if s[0] != '{' || !json.Valid(s) {
			return nil, p.requestError("response_format json_schema %q: the schema must be a JSON object", rf.Name)
		}
		return json.RawMessage(s), nil
	}
	return nil, p.requestError("unsupported response_format type %q", rf.Type)
}

// thinkMode is what a model accepts as think.
type thinkMode int

const (
	thinkNone   thinkMode = iota // no thinking capability: send no think
	thinkOnOff                   // true or false
	thinkLevels                  // "low", "medium", "high" (the harmony parser's models)
)

// thinkModeOf reads the mode from /api/show's facts: string levels only for
// models with the harmony parser, since Ollama answers 400 "think value ...
// is not supported for this model" to a string otherwise (server/routes.go
// ChatHandler, v0.17.4: "string values currently only allowed for
// harmony/gptoss models").
func thinkModeOf(info ModelInfo) thinkMode {
	switch {
	case !info.Thinks():
		return thinkNone
	case info.Parser == "harmony":
		return thinkLevels
	}
	return thinkOnOff
}

// translateThink maps reasoning_effort to Ollama's think. A model without
// the thinking capability gets no think at all: Ollama answers 400 "does
// not support thinking" to any true or level (server/routes.go ChatHandler).
// Ollama's levels are low, medium and high; OpenAI's wider scale is folded
// onto them, or onto true for models that take no level.
func (p *Provider) translateThink(effort string, mode thinkMode) (json.RawMessage, error) {
	if effort == "" || mode == thinkNone {
		return nil, nil
	}
	var level string
	switch strings.ToLower(effort) {
	case "none":
		return json.RawMessage("false"), nil
	case "minimal", "low":
		level = `"low"`
	case "medium":
		level = `"medium"`
	case "high", "xhigh":
		level = `"high"`
	default:
		return nil, p.requestError("unknown reasoning_effort %s", strconv.Quote(effort))
	}
	if mode == thinkOnOff {
		return json.RawMessage("true"), nil
	}
	return json.RawMessage(level), nil
}
