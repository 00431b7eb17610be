package gemini

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/switchyard/switchyard/chat"
	"google.golang.org/genai"
)

// maxStopSequences is Gemini's cap ("up to 5", GenerationConfig
// .stopSequences in the REST reference).
const maxStopSequences = 5

// translated is a Request in Gemini's terms.
type translated struct {
	contents []*genai.Content
	config   *genai.GenerateContentConfig
}

// translate turns req into contents and config. Every error is a
// KindRequest *providers.Error naming the offending message or field.
func (p *Provider) translate(req *chat.Request) (*translated, error) {
	tools, toolCfg, err := p.translateTools(req)
	if err != nil {
		return nil, p.requestError(err.Error(), nil)
	}
	system, contents, err := p.translateMessages(req.Messages)
	if err != nil {
		return nil, p.requestError(err.Error(), nil)
	}
	if len(contents) == 0 {
		if system == nil {
			return nil, p.requestError("no messages: Gemini needs at least one user message", nil)
		}
		// OpenAI accepts a request made of system messages alone; Gemini
		// rejects empty contents, so the instructions become the user turn.
		contents = []*genai.Content{{Role: genai.RoleUser, Parts: system.Parts}}
		system = nil
	}
	cfg := &genai.GenerateContentConfig{
		SystemInstruction: system,
		Tools:             tools,
		ToolConfig:        toolCfg,
		// The SDK would otherwise resend the request when a stream ends
		// with a continuation token; we never replay behind the router's
		// back.
		AutomaticContinuation: genai.Ptr(false),
	}
	if err := p.generationConfig(req, cfg); err != nil {
		return nil, p.requestError(err.Error(), nil)
	}
	return &translated{contents: contents, config: cfg}, nil
}

// generationConfig sets sampling, stop, output budget and response format.
// presence_penalty and frequency_penalty are not sent: Gemini 2.5 models
// answer any non-zero value with 400 "Penalty is not enabled for
// models/gemini-2.5-pro" (vercel/ai#8943; google-gemini/cookbook#1290), and
// no coding agent depends on them.
func (p *Provider) generationConfig(req *chat.Request, cfg *genai.GenerateContentConfig) error {
	if req.Temperature != nil {
		if *req.Temperature < 0 || *req.Temperature > 2 {
			return fmt.Errorf("temperature %v is outside Gemini's range 0..2", *req.Temperature)
		}
		cfg.Temperature = genai.Ptr(float32(*req.Temperature))
	}
	if req.TopP != nil {
		if *req.TopP < 0 || *req.TopP > 1 {
			return fmt.Errorf("top_p %v is outside 0..1", *req.TopP)
		}
		cfg.TopP = genai.Ptr(float32(*req.TopP))
	}
	if req.Seed != nil {
		// Gemini's seed is int32; OpenAI's is int64. Folding keeps equal
		// seeds equal, which is all a seed promises.
		cfg.Seed = genai.Ptr(int32(uint32(*req.Seed)))
	}
	if len(req.Stop) > maxStopSequences {
		return fmt.Errorf("%d stop sequences; Gemini takes at most %d", len(req.Stop), maxStopSequences)
	}
	for _, s := range req.Stop {
		if s != "" {
			cfg.StopSequences = append(cfg.StopSequences, s)
		}
	}
	if req.MaxTokens < 0 {
		return fmt.Errorf("max_tokens %d is negative", req.MaxTokens)
	}
	maxOut, budget := outputPlan(req.MaxTokens, req.ReasoningEffort)
	cfg.MaxOutputTokens = maxOut
	if budget != nil {
		cfg.ThinkingConfig = &genai.ThinkingConfig{ThinkingBudget: budget}
	}
	if rf := req.ResponseFormat; rf != nil {
		switch rf.Type {
		case "", "text":
		case "json_object":
			cfg.ResponseMIMEType = "application/json"
		case "json_schema":
			cfg.ResponseMIMEType = "application/json"
			if len(rf.Schema) > 0 {
				s, err := responseSchema(rf.Schema)
				if err != nil {
					return fmt.Errorf("response_format.json_schema.schema: %v", err)
				}
				cfg.ResponseJsonSchema = s
			}
		default:
			return fmt.Errorf("unknown response_format type %q", rf.Type)
		}
	}
	return nil
}

// translateMessages builds the system instruction and the contents.
//
// Roles: system → systemInstruction (wherever it appears: Gemini has one);
// user → user; assistant → model; tool → user with functionResponse parts.
// Consecutive turns of one role are merged into one content, because Gemini
// answers 400 "Please ensure that multiturn requests alternate between user
// and model" otherwise (microsoft/autogen#2900; earendil-works/pi#2294,
// 2026). That also groups consecutive tool results into one user content, as
// Gemini's parallel-call docs require ("FC1+signature, FC2, FR1, FR2").
func (p *Provider) translateMessages(msgs []chat.Message) (*genai.Content, []*genai.Content, error) {
	names := callNames(msgs)
	var system *genai.Content
	var contents []*genai.Content
	add := func(role string, parts []*genai.Part) {
		if len(parts) == 0 {
			return
		}
		if n := len(contents); n > 0 && contents[n-1].Role == role {
			contents[n-1].Parts = append(contents[n-1].Parts, parts...)
			return
		}
		contents = append(contents, &genai.Content{Role: role, Parts: parts})
	}
	for i := range msgs {
		m := &msgs[i]
		switch m.Role {
		case chat.RoleSystem:
			if t := m.Text(); t != "" {
				if system == nil {
					system = &genai.Content{Role: genai.RoleUser}
				}
				system.Parts = append(system.Parts, &genai.Part{Text: t})
			}
		case chat.RoleUser:
			parts, err := contentParts(m.Content)
			if err != nil {
				return nil, nil, fmt.Errorf("messages[%d]: %v", i, err)
			}
			add(genai.RoleUser, parts)
		case chat.RoleAssistant:
			parts, err := p.modelParts(m)
			if err != nil {
				return nil, nil, fmt.Errorf("messages[%d]: %v", i, err)
			}
			add(genai.RoleModel, parts)
		case chat.RoleTool:
			parts, err := toolResultParts(m, names)
			if err != nil {
				return nil, nil, fmt.Errorf("messages[%d]: %v", i, err)
			}
			add(genai.RoleUser, parts)
		default:
			return nil, nil, fmt.Errorf("messages[%d]: unknown role %q", i, m.Role)
		}
	}
	return system, contents, nil
}

// callNames maps every tool-call id in the history to its function name, so
// a tool result (which carries only tool_call_id) can name its function, as
// functionResponse requires. Ids are also indexed by their key, in case a
// client trimmed the signature suffix from the result's tool_call_id.
func callNames(msgs []chat.Message) map[string]string {
	names := make(map[string]string)
	for _, m := range msgs {
		for _, tc := range m.ToolCalls {
			if tc.ID == "" {
				continue
			}
			names[tc.ID] = tc.Name
			if key, _, ok := decodeCallID(tc.ID); ok {
				if _, taken := names[key]; !taken {
					names[key] = tc.Name
				}
			}
		}
	}
	return names
}

// contentParts converts user content: text parts as text (empty ones
// dropped, Gemini rejects a part with no data), images as inline or file
// data.
func contentParts(content []chat.Part) ([]*genai.Part, error) {
	var parts []*genai.Part
	for j, c := range content {
		switch c.Type {
		case chat.PartText, "":
			if c.Text != "" {
				parts = append(parts, &genai.Part{Text: c.Text})
			}
		case chat.PartImage:
			ip, err := imagePart(c.ImageURL)
			if err != nil {
				return nil, fmt.Errorf("content[%d]: %v", j, err)
			}
			parts = append(parts, ip)
		default:
			return nil, fmt.Errorf("content[%d]: unsupported part type %q", j, c.Type)
		}
	}
	return parts, nil
}

// modelParts converts an assistant turn: its text, then one functionCall
// part per tool call, with thought signatures restored (see restoreSignatures).
func (p *Provider) modelParts(m *chat.Message) ([]*genai.Part, error) {
	var parts []*genai.Part
	for _, c := range m.Content {
		// Images in an assistant turn have no Gemini form; only text counts.
		if (c.Type == chat.PartText || c.Type == "") && c.Text != "" {
			parts = append(parts, &genai.Part{Text: c.Text})
		}
	}
	if len(m.ToolCalls) == 0 {
		return parts, nil
	}
	firstCall := len(parts)
	refs := make([]sigRef, len(m.ToolCalls))
	for k, tc := range m.ToolCalls {
		if !functionNameRE.MatchString(tc.Name) {
			return nil, fmt.Errorf("tool_calls[%d]: name %q is not a valid Gemini function name", k, tc.Name)
		}
		parts = append(parts, &genai.Part{FunctionCall: &genai.FunctionCall{Name: tc.Name, Args: callArgs(tc.Arguments)}})
		refs[k] = p.callSignature(tc)
	}
	restoreSignatures(parts, firstCall, refs)
	return parts, nil
}

// callSignature finds the signature for a tool call: the one a dialect
// carried beside the call (chat.ToolCall.Signature, the base64 text of
// Gemini's thoughtSignature as the Gemini ingress receives it) first, since
// the client kept it with the call itself; else the one in the call's id.
// A Signature that is not base64 counts as absent.
func (p *Provider) callSignature(tc chat.ToolCall) sigRef {
	if tc.Signature != "" {
		if sig, err := decodeSigPayload(tc.Signature); err == nil && len(sig) > 0 {
			return sigRef{sig: sig}
		}
	}
	return p.lookupSignature(tc.ID)
}

// lookupSignature finds the signature for a tool-call id: inline first (it
// survives restarts), then the in-memory map.
func (p *Provider) lookupSignature(id string) sigRef {
	key, ref, ok := decodeCallID(id)
	if ok {
		return ref
	}
	if ref, ok := p.sigs.get(key); ok {
		return ref
	}
	return sigRef{}
}

// restoreSignatures puts each recovered signature back on the part Gemini
// issued it on: a call's own part, or the reply's first part for a "lead"
// signature. If none was recovered, the first functionCall part (the one
// Gemini 3 validates, "The first functionCall part in each step of the
// current turn must include its thought_signature") gets the documented
// placeholder instead of earning a 400.
func restoreSignatures(parts []*genai.Part, firstCall int, refs []sigRef) {
	restored := false
	for k, r := range refs {
		if len(r.sig) == 0 {
			continue
		}
		target := parts[firstCall+k]
		if r.lead {
			target = parts[0]
		}
		if len(target.ThoughtSignature) == 0 {
			target.ThoughtSignature = r.sig
		}
		restored = true
	}
	if !restored {
		parts[firstCall].ThoughtSignature = placeholderSignature
	}
}

// callArgs decodes OpenAI arguments text into Gemini's args object. An
// empty string is an empty object. Arguments that are not a JSON object
// (another model's malformed call in an old turn) are kept as
// {"arguments": <text>} rather than failing the whole conversation.
func callArgs(s string) map[string]any {
	if strings.TrimSpace(s) == "" {
		return map[string]any{}
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err == nil && m != nil {
		return m
	}
	return map[string]any{"arguments": s}
}

// toolResultParts converts a tool message into a functionResponse part
// (plus any images it carried, as parts after it). The function name comes
// from the call the result answers. A result that is a JSON object is the
// response as is; anything else goes in {"output": …}, as the
// FunctionResponse.response doc asks ("Use "output" key to specify function
// output").
func toolResultParts(m *chat.Message, names map[string]string) ([]*genai.Part, error) {
	name := names[m.ToolCallID]
	if name == "" {
		if key, _, ok := decodeCallID(m.ToolCallID); ok {
			name = names[key]
		}
	}
	if name == "" {
		name = m.Name
	}
	if name == "" {
		return nil, fmt.Errorf("tool result for call id %q answers no tool call in the history", m.ToolCallID)
	}
	var text strings.Builder
	var extra []*genai.Part
	for j, c := range m.Content {
		switch c.Type {
		case chat.PartImage:
			ip, err := imagePart(c.ImageURL)
			if err != nil {
				return nil, fmt.Errorf("content[%d]: %v", j, err)
			}
			extra = append(extra, ip)
		default:
			text.WriteString(c.Text)
		}
	}
	resp := resultObject(text.String())
	parts := []*genai.Part{{FunctionResponse: &genai.FunctionResponse{Name: name, Response: resp}}}
	return append(parts, extra...), nil
}

func resultObject(s string) map[string]any {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err == nil {
		if m, ok := v.(map[string]any); ok && m != nil {
			return m
		}
		if v != nil {
			return map[string]any{"output": v}
		}
	}
	return map[string]any{"output": s}
}
