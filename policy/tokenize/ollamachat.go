package tokenize

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode"

	"github.com/switchyard/switchyard/chat"
)

// ollamaChat is a request as Ollama 0.17.4's chat handler hands it to the
// prompt renderer: the messages and tools switchyard's Ollama adapter sends
// (providers/ollama/translate.go), decoded as Ollama decodes them, after
// the handler's own preprocessing (server/routes.go ChatHandler).
type ollamaChat struct {
	messages []apiMessage
	tools    []apiTool
	think    thinkValue
	// images is how many images the messages carry: each costs the model
	// tokens no text shows, so a count with images is not exact.
	images int
	// refused is set when the adapter or Ollama would refuse the request
	// (the rendering is then a best effort, not what anyone will see).
	refused error
}

// thinkValue is api.ThinkValue as the handler leaves it: unset, a bool, or
// a level.
type thinkValue struct {
	set   bool
	level string // "" for a bool
	on    bool
}

// Bool and String are api.ThinkValue's, which renderPrompt passes to
// templates as .Think and .ThinkLevel.
func (t thinkValue) Bool() bool { return t.set && (t.on || t.level != "") }

func (t thinkValue) String() string {
	switch {
	case !t.set:
		return ""
	case t.level != "":
		return t.level
	case t.on:
		return "medium"
	}
	return ""
}

// ollamaChatOf builds what Ollama's renderer sees for req on the model f
// describes.
func ollamaChatOf(req *chat.Request, f *PromptFormat, tools *toolCache, args *argsCache) ollamaChat {
	var c ollamaChat
	c.messages, c.images, c.refused = adapterMessages(req.Messages, args)
	var err error
	if c.tools, err = adapterTools(req.Tools, req.ToolChoice, tools); err != nil && c.refused == nil {
		c.refused = err
	}
	c.think = handlerThink(req.ReasoningEffort, f.Thinks)

	// ChatHandler: msgs := append(m.Messages, req.Messages...), and the
	// definition's SYSTEM first unless the request brings its own.
	msgs := make([]apiMessage, 0, len(f.Messages)+len(c.messages)+1)
	if len(c.messages) > 0 && c.messages[0].Role != "system" && f.System != "" {
		msgs = append(msgs, apiMessage{Role: "system", Content: f.System})
	}
	for _, m := range f.Messages {
		msgs = append(msgs, apiMessage{Role: strings.ToLower(m.Role), Content: m.Content})
	}
	c.messages = filterThinkTags(append(msgs, c.messages...), f)
	return c
}

// adapterMessages mirrors translateMessages: text parts joined with "\n",
// images sent aside, arguments as a JSON object, tool results named after
// the call they answer. api.Message's UnmarshalJSON lowercases roles.
func adapterMessages(in []chat.Message, cache *argsCache) ([]apiMessage, int, error) {
	var refused error
	if len(in) == 0 {
		refused = errors.New("the request has no messages")
	}
	images := 0
	callNames := make(map[string]string)
	out := make([]apiMessage, 0, len(in))
	for i := range in {
		m := &in[i]
		am := apiMessage{Role: strings.ToLower(string(m.Role))}
		am.Content, am.Images = adapterContent(m.Content)
		images += len(am.Images)
		for j, tc := range m.ToolCalls {
			args, err := cache.decode(tc.Arguments)
			if err != nil && refused == nil {
				refused = fmt.Errorf("message %d: tool call %d: %w", i, j, err)
			}
			am.ToolCalls = append(am.ToolCalls, apiToolCall{ID: tc.ID,
				Function: apiToolCallFunction{Index: j, Name: tc.Name, Arguments: args}})
			if tc.ID != "" {
				callNames[tc.ID] = tc.Name
			}
		}
		if m.Role == chat.RoleTool {
			am.ToolCallID = m.ToolCallID
			am.ToolName = callNames[m.ToolCallID]
			if am.ToolName == "" {
				am.ToolName = m.Name
			}
		}
		out = append(out, am)
	}
	return out, images, refused
}

// adapterContent is translateContent: text parts joined with "\n",
// images aside.
func adapterContent(parts []chat.Part) (string, []imageData) {
	if len(parts) == 1 && parts[0].Type == chat.PartText {
		// The common case, without copying what may be megabytes.
		return parts[0].Text, nil
	}
	var text strings.Builder
	var images []imageData
	first := true
	for _, p := range parts {
		switch p.Type {
		case chat.PartText:
			if !first {
				text.WriteByte('\n')
			}
			text.WriteString(p.Text)
			first = false
		case chat.PartImage:
			images = append(images, imageData{})
		}
	}
	return text.String(), images
}

// adapterArguments decodes OpenAI's JSON-text arguments as the adapter
// sends them (empty means {}) and Ollama reads them (an ordered map of
// values decoded into any: numbers are float64).
func adapterArguments(s string) (*orderedMap[any], error) {
	s = strings.TrimSpace(s)
	if s == "" {
		s = "{}"
	}
	args := &orderedMap[any]{}
	if err := json.Unmarshal([]byte(s), args); err != nil {
		return &orderedMap[any]{vals: map[string]any{}}, fmt.Errorf("arguments are not a JSON object: %w", err)
	}
	return args, nil
}

// adapterTools mirrors translateTools: tool_choice "none" sends no tools,
// a named function only that one, and a tool's parameters are sent only
// when they are JSON other than null. Ollama then decodes each into
// api.Tool, dropping what api.Tool has no field for.
func adapterTools(in []chat.Tool, choice *chat.ToolChoice, cache *toolCache) ([]apiTool, error) {
	if choice != nil && choice.Mode == "none" {
		return nil, nil
	}
	only := ""
	if choice != nil && choice.Mode == "function" {
		only = choice.Name
	}
	var out []apiTool
	var refused error
	for i := range in {
		t := &in[i]
		if only != "" && t.Name != only {
			continue
		}
		at, err := cache.decode(t)
		if err != nil && refused == nil {
			refused = fmt.Errorf("tool %s: %w", t.Name, err)
		}
		out = append(out, at)
	}
	if only != "" && len(out) == 0 && refused == nil {
		refused = fmt.Errorf("tool_choice names function %q, which is not among the tools", only)
	}
	return out, refused
}

// wireTool is the adapter's chatTool: what goes on the wire for a tool.
type wireTool struct {
	Type     string `json:"type"`
	Function struct {
		Name        string          `json:"name"`
		Description string          `json:"description,omitempty"`
		Parameters  json.RawMessage `json:"parameters,omitempty"`
	} `json:"function"`
}

// decodeTool sends t through the adapter's encoding and Ollama's decoding.
func decodeTool(t *chat.Tool) (apiTool, error) {
	var w wireTool
	w.Type = "function"
	w.Function.Name, w.Function.Description = t.Name, t.Description
	if len(t.Parameters) > 0 && string(t.Parameters) != "null" {
		if !json.Valid(t.Parameters) {
			return apiTool{Type: "function", Function: apiToolFunction{Name: t.Name, Description: t.Description}},
				errors.New("parameters are not valid JSON")
		}
		w.Function.Parameters = t.Parameters
	}
	body, err := json.Marshal(&w)
	if err != nil {
		return apiTool{}, err
	}
	var at apiTool
	if err := json.Unmarshal(body, &at); err != nil {
		// Ollama answers 400 for a schema its types cannot hold (say a
		// "type" list at the top): keep the name and description.
		return apiTool{Type: "function", Function: apiToolFunction{Name: t.Name, Description: t.Description}}, err
	}
	return at, nil
}

// handlerThink is the think value the chat handler renders with: the
// adapter's translateThink (nothing unless the model thinks and an effort
// was asked for), then ChatHandler's default of true for a model with the
// thinking capability.
func handlerThink(effort string, thinks bool) thinkValue {
	if !thinks {
		return thinkValue{}
	}
	switch strings.ToLower(effort) {
	case "":
		return thinkValue{set: true, on: true}
	case "none":
		return thinkValue{set: true}
	case "minimal", "low":
		return thinkValue{set: true, level: "low"}
	case "medium":
		return thinkValue{set: true, level: "medium"}
	case "high", "xhigh":
		return thinkValue{set: true, level: "high"}
	}
	// The adapter refuses an unknown effort; nothing is rendered for real.
	return thinkValue{set: true, on: true}
}

// filterThinkTags is server/routes.go filterThinkTags: for the qwen3 family
// and deepseek-r1, assistant turns before the last user message lose their
// <think>…</think> part.
func filterThinkTags(msgs []apiMessage, f *PromptFormat) []apiMessage {
	if f.Family != "qwen3" && modelBaseName(f.Model) != "deepseek-r1" {
		return msgs
	}
	finalUser := -1
	for i := range msgs {
		if msgs[i].Role == "user" {
			finalUser = i
		}
	}
	for i := range msgs {
		if msgs[i].Role == "assistant" && i < finalUser {
			msgs[i].Content = stripThinking(msgs[i].Content)
		}
	}
	return msgs
}

// stripThinking is what thinking.Parser.AddContent (thinking/parser.go)
// returns as content when handed a whole message at once, with the tags
// <think> and </think>.
func stripThinking(s string) string {
	const open, closing = "<think>", "</think>"
	trimmed := strings.TrimLeftFunc(s, unicode.IsSpace)
	switch {
	case strings.HasPrefix(trimmed, open):
		after := strings.TrimLeftFunc(trimmed[len(open):], unicode.IsSpace)
		_, rest, ok := strings.Cut(after, closing)
		if !ok {
			// Still thinking when the message ends: no content.
			return ""
		}
		return strings.TrimLeftFunc(rest, unicode.IsSpace)
	case strings.HasPrefix(open, trimmed):
		// Whitespace or a partial opening tag: the parser waits for more.
		return ""
	}
	return s
}

// modelBaseName is model.ParseName(name).Model: the name without host,
// namespace or tag.
func modelBaseName(name string) string {
	name = name[strings.LastIndexByte(name, '/')+1:]
	if i := strings.IndexByte(name, ':'); i >= 0 {
		name = name[:i]
	}
	return name
}

// decodeCache keeps what a text decodes to, with its error: agents resend
// the same tools and the same earlier tool calls every turn, and decoding
// them again each time would cost more than counting the turn's new
// message. Decoded values are never modified, so they are shared. Past
// maxBytes of keys it starts again.
type decodeCache[V any] struct {
	mu       sync.Mutex
	m        map[string]decoded[V]
	bytes    int
	maxBytes int
}

type decoded[V any] struct {
	v   V
	err error
}

func (c *decodeCache[V]) get(key string, decode func() (V, error)) (V, error) {
	c.mu.Lock()
	e, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return e.v, e.err
	}
	e.v, e.err = decode()
	c.mu.Lock()
	if c.m == nil || c.bytes+len(key) > c.maxBytes {
		c.m, c.bytes = make(map[string]decoded[V]), 0
	}
	c.m[key] = e
	c.bytes += len(key)
	c.mu.Unlock()
	return e.v, e.err
}

// argsCache keeps tool-call arguments decoded (a write_file call carries a
// whole file, hence the bound in bytes). A nil argsCache decodes every
// time.
type argsCache struct{ c decodeCache[*orderedMap[any]] }

func newArgsCache() *argsCache { return &argsCache{decodeCache[*orderedMap[any]]{maxBytes: 4 << 20}} }

func (c *argsCache) decode(s string) (*orderedMap[any], error) {
	if c == nil {
		return adapterArguments(s)
	}
	return c.c.get(s, func() (*orderedMap[any], error) { return adapterArguments(s) })
}

// toolCache keeps tools decoded; an agent sends a few dozen, schemas
// included well under a megabyte.
type toolCache struct{ c decodeCache[apiTool] }

func newToolCache() *toolCache { return &toolCache{decodeCache[apiTool]{maxBytes: 4 << 20}} }

func (c *toolCache) decode(t *chat.Tool) (apiTool, error) {
	k := t.Name + "\x00" + t.Description + "\x00" + string(t.Parameters)
	return c.c.get(k, func() (apiTool, error) { return decodeTool(t) })
}
