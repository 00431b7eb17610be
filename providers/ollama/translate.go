package ollama

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unsafe"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/policy/tokenize"
)

// translate turns a switchyard Request into Ollama's /api/chat body, sending
// the window numCtx. thinks says whether the model has the thinking
// capability. Every error is a KindRequest *providers.Error naming what is
// wrong with the job. The same pass makes what a count renders
// (promptInput, prompt.go), so that the count is of what is sent.
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
	if err := p.translateMessages(req.Messages, &out.Messages, nil); err != nil {
		return nil, err
	}
	if err, _ := p.translateTools(req.Tools, req.ToolChoice, &out.Tools, nil); err != nil {
		return nil, err
	}
	var err error
	if out.Format, err = p.translateFormat(req.ResponseFormat); err != nil {
		return nil, err
	}
	if out.Think, err = p.translateThink(req.ReasoningEffort, thinks); err != nil {
		return nil, err
	}
	return out, nil
}

// translateMessages converts the conversation into the messages sent
// (wire) and, where prompt is not nil, appends to it what Ollama's chat
// handler decodes them into for its renderer: roles lowercased
// (api.Message's UnmarshalJSON), images as their number, arguments as the
// ordered map Ollama reads. Either may be nil. It returns the adapter's
// first refusal, a KindRequest *providers.Error, but goes on to the end,
// so that a count can render the rest.
//
// Tool results need the name of the tool that produced them (Ollama's
// templates render tool_name), which OpenAI carries only on the
// assistant's call: it is looked up through tool_call_id, as Ollama's own
// /v1 layer does (openai/openai.go nameFromToolCallID).
func (p *Provider) translateMessages(in []chat.Message, wire *[]chatMessage, prompt *[]tokenize.PromptMessage) error {
	var refused error
	refuse := func(err error) {
		if refused == nil {
			refused = err
		}
	}
	if len(in) == 0 {
		refuse(p.requestError("the request has no messages"))
	}
	if wire != nil {
		*wire = make([]chatMessage, 0, len(in))
	}
	callNames := make(map[string]string)
	for i := range in {
		m := &in[i]
		switch m.Role {
		case chat.RoleSystem, chat.RoleUser, chat.RoleAssistant, chat.RoleTool:
		default:
			refuse(p.requestError("message %d has unknown role %q", i, m.Role))
		}
		text, images, n, err := p.translateContent(i, m.Content, wire != nil)
		if err != nil {
			refuse(err)
		}
		var calls []chatToolCall
		var pcalls []tokenize.PromptToolCall
		for j, tc := range m.ToolCalls {
			args, err := p.args.decode(tc.Arguments)
			if err := argumentsError(err); err != nil {
				refuse(p.requestError("message %d: tool call %d (%s, id %q) has invalid JSON arguments: %v", i, j, tc.Name, tc.ID, err))
			}
			if wire != nil {
				calls = append(calls, chatToolCall{ID: tc.ID,
					Function: chatToolFunction{Index: j, Name: tc.Name, Arguments: argumentsJSON(tc.Arguments)}})
			}
			if prompt != nil {
				pcalls = append(pcalls, tokenize.PromptToolCall{ID: tc.ID,
					Function: tokenize.PromptCall{Index: j, Name: tc.Name, Arguments: args}})
			}
			if tc.ID != "" {
				callNames[tc.ID] = tc.Name
			}
		}
		var toolCallID, toolName string
		if m.Role == chat.RoleTool {
			toolCallID, toolName = m.ToolCallID, callNames[m.ToolCallID]
			if toolName == "" {
				// A client that names the tool on the result itself (OpenAI's
				// legacy function role did) still gets it through.
				toolName = m.Name
			}
		}
		if wire != nil {
			*wire = append(*wire, chatMessage{Role: string(m.Role), Content: text, Images: images,
				ToolCalls: calls, ToolName: toolName, ToolCallID: toolCallID})
		}
		if prompt != nil {
			*prompt = append(*prompt, tokenize.PromptMessage{Role: strings.ToLower(string(m.Role)), Content: text, Images: n,
				ToolCalls: pcalls, ToolName: toolName, ToolCallID: toolCallID})
		}
	}
	return refused
}

// translateContent joins text parts and counts the images, collecting
// them as base64 when encode is set (a count has no use for their bytes).
// Parts are joined with a newline: Ollama's /v1 layer turns each part into
// a message of its own, so parts are separate units of text, and gluing
// them without a separator would merge the last word of one with the
// first of the next.
func (p *Provider) translateContent(msg int, parts []chat.Part, encode bool) (string, []string, int, error) {
	if len(parts) == 1 && parts[0].Type == chat.PartText {
		// The common case, without copying what may be megabytes.
		return parts[0].Text, nil, 0, nil
	}
	var text strings.Builder
	var images []string
	n := 0
	var refused error
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
			n++
			if !encode {
				continue
			}
			b64, err := imageBase64(part.ImageURL)
			if err != nil && refused == nil {
				refused = p.requestError("message %d, part %d: %v", msg, j, err)
			}
			images = append(images, b64)
		default:
			if refused == nil {
				refused = p.requestError("message %d, part %d: unsupported content type %q", msg, j, part.Type)
			}
		}
	}
	return text.String(), images, n, refused
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

// argumentsJSON is OpenAI's JSON-text arguments as the JSON object Ollama
// wants, once argsCache has found them to be one; empty arguments mean a
// call without parameters. The bytes are the string's own, not a copy:
// json.Marshal only reads them (and compacts them as it writes the body).
func argumentsJSON(s string) json.RawMessage {
	if strings.TrimSpace(s) == "" {
		return json.RawMessage("{}")
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// translateTools maps tools and tool_choice into the tools sent (wire)
// and, where prompt is not nil, what Ollama decodes them into; either may
// be nil. Ollama has no tool_choice (PROVIDERS.md §2): "none" is honoured
// by sending no tools, a named function by offering only that one;
// "required" cannot be enforced and is sent as "auto". It returns the
// adapter's first refusal (a KindRequest *providers.Error) and, apart,
// Ollama's: a tool it would answer 400 for.
func (p *Provider) translateTools(tools []chat.Tool, choice *chat.ToolChoice, wire *[]chatTool, prompt *[]tokenize.PromptTool) (refused, ollama error) {
	if choice != nil && choice.Mode == "none" {
		return nil, nil
	}
	only := ""
	if choice != nil && choice.Mode == "function" {
		only = choice.Name
	}
	var out []chatTool
	offered := 0
	for _, t := range tools {
		if only != "" && t.Name != only {
			continue
		}
		offered++
		if t.Name == "" && refused == nil {
			refused = p.requestError("a tool has no name")
		}
		var raw json.RawMessage
		if len(t.Parameters) > 0 && string(t.Parameters) != "null" {
			raw = t.Parameters
		}
		params, valid, err := p.tools.decode(raw)
		if !valid {
			if refused == nil {
				refused = p.requestError("tool %s: parameters are not valid JSON", t.Name)
			}
			raw = nil
		}
		if err != nil && ollama == nil {
			ollama = fmt.Errorf("tool %s: %w", t.Name, err)
		}
		ct := chatTool{Type: "function", Function: chatToolSpec{Name: t.Name, Description: t.Description, Parameters: raw}}
		if wire != nil {
			if out == nil {
				out = make([]chatTool, 0, len(tools))
			}
			out = append(out, ct)
		}
		if prompt != nil {
			*prompt = append(*prompt, promptTool(&ct.Function, params))
		}
	}
	if only != "" && offered == 0 && refused == nil {
		refused = p.requestError("tool_choice names function %q, which is not among the tools", only)
	}
	if wire != nil {
		*wire = out
	}
	return refused, ollama
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
func thinkModeOf(info ModelInfo) thinkMode { return thinkModeFor(info.Thinks(), info.Parser) }

// thinkModeFor is the mode of a model that thinks or not, with the output
// parser parser.
func thinkModeFor(thinks bool, parser string) thinkMode {
	switch {
	case !thinks:
		return thinkNone
	case parser == "harmony":
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
