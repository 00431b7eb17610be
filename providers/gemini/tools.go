package gemini

import (
	"encoding/json"
	"fmt"
	"regexp"

	"github.com/switchyard/switchyard/chat"
	"google.golang.org/genai"
)

// functionNameRE is Gemini's rule for declaration names: "Must start with a
// letter or an underscore. Must be a-z, A-Z, 0-9, or contain underscores,
// colons, dots, and dashes, with a maximum length of 128"
// (FunctionDeclaration.name in go-genai types.go and the REST reference).
var functionNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$`)

// maxDeclarations is Gemini's cap on function declarations per request
// ("up to 512", ai.google.dev/gemini-api/docs/function-calling).
const maxDeclarations = 512

// translateTools builds the function declarations and tool config.
func (p *Provider) translateTools(req *chat.Request) ([]*genai.Tool, *genai.ToolConfig, error) {
	if len(req.Tools) > maxDeclarations {
		return nil, nil, fmt.Errorf("%d tools; Gemini takes at most %d", len(req.Tools), maxDeclarations)
	}
	var decls []*genai.FunctionDeclaration
	names := make(map[string]bool, len(req.Tools))
	for i, t := range req.Tools {
		if !functionNameRE.MatchString(t.Name) {
			return nil, nil, fmt.Errorf("tools[%d]: name %q is not a valid Gemini function name (a letter or _ first, then letters, digits, _ . : -, at most 128)", i, t.Name)
		}
		if names[t.Name] {
			return nil, nil, fmt.Errorf("tools[%d]: duplicate function name %q", i, t.Name)
		}
		names[t.Name] = true
		d := &genai.FunctionDeclaration{Name: t.Name, Description: t.Description}
		if len(t.Parameters) > 0 && string(t.Parameters) != "null" {
			schema, err := toolSchema(t.Parameters)
			if err != nil {
				return nil, nil, fmt.Errorf("tools[%d] (%s): parameters: %v", i, t.Name, err)
			}
			d.ParametersJsonSchema = schema
		}
		decls = append(decls, d)
	}
	var tools []*genai.Tool
	if len(decls) > 0 {
		tools = []*genai.Tool{{FunctionDeclarations: decls}}
	}
	cfg, err := toolConfig(req.ToolChoice, names)
	if err != nil {
		return nil, nil, err
	}
	if len(tools) == 0 {
		// "auto" or "none" without tools says nothing Gemini needs to hear.
		cfg = nil
	}
	return tools, cfg, nil
}

// toolConfig maps OpenAI tool_choice to functionCallingConfig: auto → AUTO,
// none → NONE, required → ANY, a named function → ANY restricted to it
// (ai.google.dev/gemini-api/docs/function-calling#function_calling_modes).
// parallel_tool_calls has no Gemini counterpart and is not sent.
func toolConfig(tc *chat.ToolChoice, declared map[string]bool) (*genai.ToolConfig, error) {
	if tc == nil {
		return nil, nil
	}
	fc := &genai.FunctionCallingConfig{}
	switch tc.Mode {
	case "", "auto":
		fc.Mode = genai.FunctionCallingConfigModeAuto
	case "none":
		fc.Mode = genai.FunctionCallingConfigModeNone
	case "required":
		if len(declared) == 0 {
			return nil, fmt.Errorf("tool_choice %q with no tools", tc.Mode)
		}
		fc.Mode = genai.FunctionCallingConfigModeAny
	case "function":
		if !declared[tc.Name] {
			return nil, fmt.Errorf("tool_choice names function %q, which is not among the tools", tc.Name)
		}
		fc.Mode = genai.FunctionCallingConfigModeAny
		fc.AllowedFunctionNames = []string{tc.Name}
	default:
		return nil, fmt.Errorf("unknown tool_choice %q", tc.Mode)
	}
	return &genai.ToolConfig{FunctionCallingConfig: fc}, nil
}

// toolSchema decodes an OpenAI parameters schema for parametersJsonSchema,
// which takes JSON Schema as is (unlike the older OpenAPI-subset
// "parameters", whose proto rejects unknown keywords). Two adjustments:
//   - the schema "must describe an object" (FunctionDeclaration
//     .parametersJsonSchema doc), so a schema without "type" gets "object";
//   - a node with "$ref" may carry no other keyword but description and
//     default, or Gemini answers 400 (su-kaka/gcli2api PR #374, seen with
//     Kilo Code's schemas), so other siblings of "$ref" are dropped
//     ("$"-keywords such as "$defs" stay: the reference needs them).
func toolSchema(raw json.RawMessage) (map[string]any, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("not valid JSON: %v", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("must be a JSON object, got %s", jsonKind(v))
	}
	if t, has := m["type"]; has && t != "object" {
		return nil, fmt.Errorf(`must describe an object, has "type": %v`, t)
	}
	if _, has := m["type"]; !has {
		m["type"] = "object"
	}
	cleanRefSiblings(m)
	return m, nil
}

// responseSchema decodes a response_format json_schema for
// responseJsonSchema, with the same $ref rule as tool schemas.
func responseSchema(raw json.RawMessage) (map[string]any, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("not valid JSON: %v", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("must be a JSON object, got %s", jsonKind(v))
	}
	cleanRefSiblings(m)
	return m, nil
}

// cleanRefSiblings walks a schema and leaves only description and default
// next to any "$ref".
func cleanRefSiblings(v any) {
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x["$ref"]; ok {
			for k := range x {
				if !keepBesideRef(k) {
					delete(x, k)
				}
			}
		}
		for _, c := range x {
			cleanRefSiblings(c)
		}
	case []any:
		for _, c := range x {
			cleanRefSiblings(c)
		}
	}
}

func keepBesideRef(k string) bool {
	return k == "description" || k == "default" || k == "definitions" || (len(k) > 0 && k[0] == '$')
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case float64:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	}
	return "an object"
}
