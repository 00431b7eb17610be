package gemini

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/ingress"
)

// The GenerateContentRequest as it arrives
// (https://ai.google.dev/api/generate-content#request-body). Members this
// dialect does not use (safetySettings, cachedContent, labels, ...) have no
// field: they are accepted and ignored. Members decoded element by element
// stay raw, so an error can name the element.
type wireRequest struct {
	Contents          json.RawMessage   `json:"contents"`
	SystemInstruction json.RawMessage   `json:"systemInstruction"`
	Tools             []json.RawMessage `json:"tools"`
	ToolConfig        json.RawMessage   `json:"toolConfig"`
	GenerationConfig  json.RawMessage   `json:"generationConfig"`
}

// decodeBody reads a generate body; prefix names it in errors
// ("generateContentRequest" inside a count body).
func decodeBody(body []byte, prefix string) (*ingress.Request, *ingress.Error) {
	var w wireRequest
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, jsonError(prefix, err)
	}
	cp := field(prefix, "contents")
	if isNull(w.Contents) {
		return nil, badParam(cp, "%s is required: an array of {\"role\", \"parts\"} objects", cp)
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(w.Contents, &elems); err != nil {
		return nil, badParam(cp, "%s must be an array of {\"role\", \"parts\"} objects", cp)
	}
	if len(elems) == 0 {
		return nil, badParam(cp, "%s must not be empty: send at least one user content", cp)
	}
	req, e := decodeFields(&w, prefix)
	if e != nil {
		return nil, e
	}
	for i, raw := range elems {
		msgs, e := decodeContent(raw, fmt.Sprintf("%s[%d]", cp, i))
		if e != nil {
			return nil, e
		}
		req.Chat.Messages = append(req.Chat.Messages, msgs...)
	}
	return req, nil
}

func field(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// decodeFields decodes everything in w but the contents: the system
// instruction's message is the request's only message.
func decodeFields(w *wireRequest, prefix string) (*ingress.Request, *ingress.Error) {
	req := &chat.Request{}
	if !isNull(w.SystemInstruction) {
		m, e := decodeSystem(w.SystemInstruction, field(prefix, "systemInstruction"))
		if e != nil {
			return nil, e
		}
		if m != nil {
			req.Messages = []chat.Message{*m}
		}
	}
	for i, raw := range w.Tools {
		if e := decodeTool(raw, fmt.Sprintf("%s[%d]", field(prefix, "tools"), i), req); e != nil {
			return nil, e
		}
	}
	if !isNull(w.ToolConfig) {
		if e := decodeToolConfig(w.ToolConfig, field(prefix, "toolConfig"), req); e != nil {
			return nil, e
		}
	}
	if !isNull(w.GenerationConfig) {
		if e := decodeGenerationConfig(w.GenerationConfig, field(prefix, "generationConfig"), req); e != nil {
			return nil, e
		}
	}
	return &ingress.Request{Chat: req}, nil
}

// decodeSystem reads systemInstruction, a Content whose text parts become
// one system message with a part each (a bare string is accepted too, as
// the SDKs' helpers send one); nil when it holds no text.
func decodeSystem(raw json.RawMessage, p string) (*chat.Message, *ingress.Error) {
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, jsonError(p, err)
		}
		if s == "" {
			return nil, nil
		}
		return &chat.Message{Role: chat.RoleSystem, Content: []chat.Part{{Type: chat.PartText, Text: s}}}, nil
	}
	var c struct {
		Parts []struct {
			Text *string `json:"text"`
		} `json:"parts"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, jsonError(p, err)
	}
	var parts []chat.Part
	for i, part := range c.Parts {
		if part.Text == nil {
			return nil, badParam(fmt.Sprintf("%s.parts[%d].text", p, i), "%s.parts[%d].text is required: the system instruction holds only text parts", p, i)
		}
		if *part.Text != "" {
			parts = append(parts, chat.Part{Type: chat.PartText, Text: *part.Text})
		}
	}
	if len(parts) == 0 {
		return nil, nil
	}
	return &chat.Message{Role: chat.RoleSystem, Content: parts}, nil
}

// decodeTool reads one Tool: its functionDeclarations become tools; every
// other member (googleSearch, codeExecution, urlContext, ... which run on
// Google's servers) is reported dropped by its key, in the key's order.
func decodeTool(raw json.RawMessage, p string, req *chat.Request) *ingress.Error {
	var t map[string]json.RawMessage
	if err := json.Unmarshal(raw, &t); err != nil {
		return jsonError(p, err)
	}
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if k != "functionDeclarations" {
			if !isNull(t[k]) {
				req.DroppedTools = append(req.DroppedTools, k)
			}
			continue
		}
		dp := p + ".functionDeclarations"
		var decls []json.RawMessage
		if err := json.Unmarshal(t[k], &decls); err != nil {
			return badParam(dp, "%s must be an array of {\"name\", \"description\", \"parametersJsonSchema\"} objects", dp)
		}
		for i, d := range decls {
			tool, e := decodeDeclaration(d, fmt.Sprintf("%s[%d]", dp, i))
			if e != nil {
				return e
			}
			req.Tools = append(req.Tools, tool)
		}
	}
	return nil
}

func decodeDeclaration(raw json.RawMessage, p string) (chat.Tool, *ingress.Error) {
	var d struct {
		Name                 string          `json:"name"`
		Description          string          `json:"description"`
		Parameters           json.RawMessage `json:"parameters"`
		ParametersJSONSchema json.RawMessage `json:"parametersJsonSchema"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return chat.Tool{}, jsonError(p, err)
	}
	if d.Name == "" {
		return chat.Tool{}, badParam(p+".name", "%s.name is required", p)
	}
	t := chat.Tool{Name: d.Name, Description: d.Description}
	switch {
	case !isNull(d.ParametersJSONSchema):
		if !isObject(d.ParametersJSONSchema) {
			return chat.Tool{}, badParam(p+".parametersJsonSchema", "%s.parametersJsonSchema must be a JSON Schema object", p)
		}
		t.Parameters = d.ParametersJSONSchema
	case !isNull(d.Parameters):
		s, e := jsonSchema(d.Parameters, p+".parameters")
		if e != nil {
			return chat.Tool{}, e
		}
		t.Parameters = s
	}
	return t, nil
}

// jsonSchema turns Gemini's OpenAPI-subset Schema
// (https://ai.google.dev/api/caching#Schema), whose types are upper case
// ("OBJECT", "STRING"), into JSON Schema, which every other upstream
// wants: each "type" word lower-cased. Everything else is already JSON
// Schema's spelling. The result is re-encoded with sorted keys, so the
// same input gives the same bytes.
func jsonSchema(raw json.RawMessage, p string) (json.RawMessage, *ingress.Error) {
	if !isObject(raw) {
		return nil, badParam(p, "%s must be a Schema object", p)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, jsonError(p, err)
	}
	lowerTypes(v)
	b, err := json.Marshal(v)
	if err != nil {
		return nil, badParam(p, "%s: %v", p, err)
	}
	return b, nil
}

func lowerTypes(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && k == "type" {
				v[k] = strings.ToLower(s)
				continue
			}
			lowerTypes(x)
		}
	case []any:
		for _, x := range v {
			lowerTypes(x)
		}
	}
}

// decodeToolConfig maps functionCallingConfig
// (https://ai.google.dev/api/caching#FunctionCallingConfig): AUTO → auto,
// NONE → none, ANY (and VALIDATED, which also constrains the call) →
// required, or the one function when allowedFunctionNames names one.
func decodeToolConfig(raw json.RawMessage, p string, req *chat.Request) *ingress.Error {
	var tc struct {
		FunctionCallingConfig *struct {
			Mode                 string   `json:"mode"`
			AllowedFunctionNames []string `json:"allowedFunctionNames"`
		} `json:"functionCallingConfig"`
	}
	if err := json.Unmarshal(raw, &tc); err != nil {
		return jsonError(p, err)
	}
	fc := tc.FunctionCallingConfig
	if fc == nil {
		return nil
	}
	switch strings.ToUpper(fc.Mode) {
	case "", "MODE_UNSPECIFIED":
	case "AUTO":
		req.ToolChoice = &chat.ToolChoice{Mode: "auto"}
	case "NONE":
		req.ToolChoice = &chat.ToolChoice{Mode: "none"}
	case "ANY", "VALIDATED":
		req.ToolChoice = &chat.ToolChoice{Mode: "required"}
		if len(fc.AllowedFunctionNames) == 1 {
			req.ToolChoice = &chat.ToolChoice{Mode: "function", Name: fc.AllowedFunctionNames[0]}
		}
	default:
		return badParam(p+".functionCallingConfig.mode", "%s.functionCallingConfig.mode must be AUTO, ANY, NONE or VALIDATED, not %q", p, fc.Mode)
	}
	return nil
}

// wireGenerationConfig is the part of GenerationConfig
// (https://ai.google.dev/api/generate-content#generationconfig) a chat job
// carries; the rest (responseModalities, speechConfig, mediaResolution,
// ...) is ignored.
type wireGenerationConfig struct {
	Temperature        *float64        `json:"temperature"`
	TopP               *float64        `json:"topP"`
	TopK               *float64        `json:"topK"`
	MaxOutputTokens    *int            `json:"maxOutputTokens"`
	StopSequences      []string        `json:"stopSequences"`
	CandidateCount     *int            `json:"candidateCount"`
	PresencePenalty    *float64        `json:"presencePenalty"`
	FrequencyPenalty   *float64        `json:"frequencyPenalty"`
	Seed               *int64          `json:"seed"`
	ResponseMimeType   string          `json:"responseMimeType"`
	ResponseSchema     json.RawMessage `json:"responseSchema"`
	ResponseJSONSchema json.RawMessage `json:"responseJsonSchema"`
	ThinkingConfig     *struct {
		ThinkingBudget *int   `json:"thinkingBudget"`
		ThinkingLevel  string `json:"thinkingLevel"`
	} `json:"thinkingConfig"`
}

// Thinking budgets map to an effort at these bounds; -1 is Gemini's
// "dynamic", the model's own choice.
const (
	lowBudgetMax    = 2048
	mediumBudgetMax = 16384
)

func decodeGenerationConfig(raw json.RawMessage, p string, req *chat.Request) *ingress.Error {
	var g wireGenerationConfig
	if err := json.Unmarshal(raw, &g); err != nil {
		return jsonError(p, err)
	}
	req.Temperature, req.TopP = g.Temperature, g.TopP
	req.PresencePenalty, req.FrequencyPenalty, req.Seed = g.PresencePenalty, g.FrequencyPenalty, g.Seed
	if g.TopK != nil {
		k := int(*g.TopK)
		req.TopK = &k
	}
	if g.MaxOutputTokens != nil {
		if *g.MaxOutputTokens < 1 {
			return badParam(p+".maxOutputTokens", "%s.maxOutputTokens must be a positive integer, not %d", p, *g.MaxOutputTokens)
		}
		req.MaxTokens = *g.MaxOutputTokens
	}
	req.Stop = g.StopSequences
	if g.CandidateCount != nil && *g.CandidateCount > 1 {
		return badParam(p+".candidateCount", "%s.candidateCount must be 1, not %d: switchyard answers with one candidate", p, *g.CandidateCount)
	}
	if e := decodeResponseFormat(&g, p, req); e != nil {
		return e
	}
	if tc := g.ThinkingConfig; tc != nil {
		switch strings.ToUpper(tc.ThinkingLevel) {
		case "":
		case "MINIMAL", "LOW":
			req.ReasoningEffort = "low"
		case "MEDIUM":
			req.ReasoningEffort = "medium"
		case "HIGH":
			req.ReasoningEffort = "high"
		case "THINKING_LEVEL_UNSPECIFIED":
		default:
			return badParam(p+".thinkingConfig.thinkingLevel", "%s.thinkingConfig.thinkingLevel must be LOW, MEDIUM or HIGH, not %q", p, tc.ThinkingLevel)
		}
		if b := tc.ThinkingBudget; b != nil && tc.ThinkingLevel == "" {
			switch {
			case *b == 0:
				req.ReasoningEffort = "none"
			case *b == -1:
			case *b < -1:
				return badParam(p+".thinkingConfig.thinkingBudget", "%s.thinkingConfig.thinkingBudget must be -1 (dynamic), 0 (off) or a positive budget, not %d", p, *b)
			case *b <= lowBudgetMax:
				req.ReasoningEffort = "low"
			case *b <= mediumBudgetMax:
				req.ReasoningEffort = "medium"
			default:
				req.ReasoningEffort = "high"
			}
		}
	}
	return nil
}

// decodeResponseFormat maps responseMimeType application/json to
// json_object, or to json_schema with responseJsonSchema (JSON Schema as it
// is) or responseSchema (Gemini's Schema, converted).
func decodeResponseFormat(g *wireGenerationConfig, p string, req *chat.Request) *ingress.Error {
	switch g.ResponseMimeType {
	case "", "text/plain":
		if !isNull(g.ResponseSchema) || !isNull(g.ResponseJSONSchema) {
			return badParam(p+".responseMimeType", "%s.responseMimeType must be application/json when a response schema is set", p)
		}
		return nil
	case "application/json":
	default:
		return badParam(p+".responseMimeType", "%s.responseMimeType %q is not supported: text/plain or application/json", p, g.ResponseMimeType)
	}
	switch {
	case !isNull(g.ResponseJSONSchema):
		if !isObject(g.ResponseJSONSchema) {
			return badParam(p+".responseJsonSchema", "%s.responseJsonSchema must be a JSON Schema object", p)
		}
		req.ResponseFormat = &chat.ResponseFormat{Type: "json_schema", Name: "response", Schema: g.ResponseJSONSchema}
	case !isNull(g.ResponseSchema):
		s, e := jsonSchema(g.ResponseSchema, p+".responseSchema")
		if e != nil {
			return e
		}
		req.ResponseFormat = &chat.ResponseFormat{Type: "json_schema", Name: "response", Schema: s}
	default:
		req.ResponseFormat = &chat.ResponseFormat{Type: "json_object"}
	}
	return nil
}
