package ollama

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/policy/tokenize"
)

// This file is the other half of translate: what Ollama 0.17.4's chat
// handler makes of the body the adapter sends before it renders the
// prompt (server/routes.go ChatHandler, server/prompt.go chatPrompt), so
// that a count renders exactly the prompt the model will read. The
// rendering itself (the model's Go template, or a built-in renderer) is
// tokenize's.

// promptFormat is how Ollama turns a chat into the served model's prompt,
// as /api/show describes the model.
type promptFormat struct {
	// Model is the model's name ("qwen3-coder:30b"); Ollama strips old
	// reasoning from the turns of a model named deepseek-r1.
	Model string
	// Family is details.family; for "qwen3" Ollama strips the reasoning
	// of assistant turns before the last user message.
	Family string
	// Template is the model's Go text/template, used when Renderer is
	// empty; Renderer names a renderer built into Ollama ("qwen3-coder").
	Template, Renderer string
	// System and Messages are the definition's SYSTEM and MESSAGEs: Ollama
	// puts the messages before the request's, and the system prompt first
	// when the request brings none of its own.
	System   string
	Messages []DefinitionMessage
	// Thinks is whether the model has the "thinking" capability, and
	// Parser its output parser ("harmony" takes think levels): what the
	// adapter sends as think, and what Ollama renders with.
	Thinks bool
	Parser string
}

func formatOf(info ModelInfo) promptFormat {
	return promptFormat{Model: info.Model, Family: info.Family, Template: info.Template, Renderer: info.Renderer,
		System: info.System, Messages: slices.Clone(info.Messages), Thinks: info.Thinks(), Parser: info.Parser}
}

func (f *promptFormat) equal(g *promptFormat) bool {
	return f.Model == g.Model && f.Family == g.Family && f.Template == g.Template && f.Renderer == g.Renderer &&
		f.System == g.System && f.Thinks == g.Thinks && f.Parser == g.Parser && slices.Equal(f.Messages, g.Messages)
}

func (f *promptFormat) thinkMode() thinkMode { return thinkModeFor(f.Thinks, f.Parser) }

// prompter renders requests into the prompt Ollama renders for the model
// its format describes, for the request as p sends it. It is safe for
// concurrent use.
//
// What cannot be rendered as Ollama does (an unknown built-in renderer, a
// template that does not parse or fails on a request, no template at all)
// is rendered as Qwen3's ChatML instead (tokenize.RenderPrompt), and not
// counted exactly.
type prompter struct {
	p      *Provider
	format promptFormat
	r      *tokenize.Renderer
	err    error
}

func (p *Provider) newPrompter(f promptFormat) *prompter {
	r := tokenize.NewRenderer(f.Renderer, f.Template)
	pr := &prompter{p: p, format: f, r: r}
	if err := r.Err(); err != nil {
		pr.err = fmt.Errorf("%w; counting with Qwen3's ChatML", err)
	}
	return pr
}

// Err is nil when pr renders as Ollama does, and otherwise says why it
// renders ChatML instead.
func (pr *prompter) Err() error { return pr.err }

// Render returns the prompt Ollama would render for req, special tokens
// spelled out, and whether it is exactly that: false when pr falls back to
// ChatML, when the adapter or Ollama would refuse the request, or when it
// carries images, whose tokens no text shows.
func (pr *prompter) Render(req *chat.Request) (string, bool) {
	if pr.err == nil {
		in, exact := pr.p.promptInput(req, &pr.format)
		if s, err := pr.r.Render(in); err == nil {
			return s, exact
		}
	}
	return tokenize.RenderPrompt(req), false
}

// count counts with c the prompt Render returns, as c.CountPrompt does.
func (pr *prompter) count(c *tokenize.Counter, req *chat.Request) tokenize.Count {
	if pr.err == nil {
		in, exact := pr.p.promptInput(req, &pr.format)
		if n, err := c.CountPrompt(pr.r, in); err == nil {
			n.Exact = n.Exact && exact
			return n
		}
	}
	n := c.CountRequest(req)
	n.Exact = false
	return n
}

// promptInput is what Ollama renders for req on the model f describes,
// made by the pass that makes the body Chat sends (translateMessages,
// translateTools, translateThink). It is exact unless the adapter or
// Ollama would refuse the request (the rendering is then a best effort,
// not what anyone will see) or the request carries images.
func (p *Provider) promptInput(req *chat.Request, f *promptFormat) (*tokenize.PromptInput, bool) {
	in := &tokenize.PromptInput{}
	// ChatHandler: msgs := append(m.Messages, req.Messages...), and the
	// definition's SYSTEM first unless the request brings its own.
	msgs := make([]tokenize.PromptMessage, 0, len(f.Messages)+len(req.Messages)+1)
	if len(req.Messages) > 0 && strings.ToLower(string(req.Messages[0].Role)) != "system" && f.System != "" {
		msgs = append(msgs, tokenize.PromptMessage{Role: "system", Content: f.System})
	}
	for _, m := range f.Messages {
		msgs = append(msgs, tokenize.PromptMessage{Role: strings.ToLower(m.Role), Content: m.Content})
	}
	refused := p.translateMessages(req.Messages, nil, &msgs)
	images := 0
	for i := range msgs {
		images += msgs[i].Images
	}
	in.Messages = filterThinkTags(msgs, f)
	adapter, ollama := p.translateTools(req.Tools, req.ToolChoice, nil, &in.Tools)
	think, terr := p.translateThink(req.ReasoningEffort, f.thinkMode())
	in.Think = handlerThink(think, f.thinkMode())
	_, ferr := p.translateFormat(req.ResponseFormat)
	return in, images == 0 && refused == nil && adapter == nil && ollama == nil && terr == nil && ferr == nil
}

// handlerThink is the think value the chat handler renders with, given
// what translateThink sent: none for a model without the thinking
// capability, ChatHandler's default of true when nothing was sent, and
// else what was.
func handlerThink(sent json.RawMessage, mode thinkMode) tokenize.Think {
	switch {
	case mode == thinkNone:
		return tokenize.Think{}
	case sent == nil, string(sent) == "true":
		return tokenize.Think{Set: true, On: true}
	case string(sent) == "false":
		return tokenize.Think{Set: true}
	}
	var level string
	_ = json.Unmarshal(sent, &level)
	return tokenize.Think{Set: true, Level: level}
}

// filterThinkTags is server/routes.go filterThinkTags: for the qwen3 family
// and deepseek-r1, assistant turns before the last user message lose their
// <think>…</think> part.
func filterThinkTags(msgs []tokenize.PromptMessage, f *promptFormat) []tokenize.PromptMessage {
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

// getDecoded returns what key decodes to with decode. key is a []byte or
// a string: a []byte is looked up without copying it, and copied only to
// be kept. decode takes the key rather than closing over it, so that a
// hit allocates nothing.
func getDecoded[V any, K ~[]byte | ~string](c *decodeCache[V], key K, decode func(K) (V, error)) (V, error) {
	c.mu.Lock()
	e, ok := c.m[string(key)]
	c.mu.Unlock()
	if ok {
		return e.v, e.err
	}
	e.v, e.err = decode(key)
	c.mu.Lock()
	if c.m == nil || c.bytes+len(key) > c.maxBytes {
		c.m, c.bytes = make(map[string]decoded[V]), 0
	}
	c.m[string(key)] = e
	c.bytes += len(key)
	c.mu.Unlock()
	return e.v, e.err
}

// argsCache keeps tool-call arguments decoded as Ollama decodes them (a
// write_file call carries a whole file, hence the bound in bytes), for
// both the body Chat sends and the prompt a count renders: each distinct
// arguments text is parsed once.
type argsCache struct {
	c decodeCache[*tokenize.OrderedMap[any]]
}

func newArgsCache() *argsCache {
	return &argsCache{decodeCache[*tokenize.OrderedMap[any]]{maxBytes: 4 << 20}}
}

// decode returns s, OpenAI's JSON-text arguments (empty means {}), as
// Ollama reads them: an ordered map of values decoded into any (numbers
// are float64). A *json.SyntaxError or tokenize.ErrNotObject means the
// adapter refuses s; any other error that Ollama would.
func (c *argsCache) decode(s string) (*tokenize.OrderedMap[any], error) {
	return getDecoded(&c.c, s, decodeArguments)
}

func decodeArguments(s string) (*tokenize.OrderedMap[any], error) {
	s = strings.TrimSpace(s)
	if s == "" {
		s = "{}"
	}
	args := &tokenize.OrderedMap[any]{}
	if err := json.Unmarshal([]byte(s), args); err != nil {
		return &tokenize.OrderedMap[any]{}, err
	}
	return args, nil
}

// toolCache keeps tools' parameter schemas decoded as Ollama decodes them;
// an agent sends a few dozen, schemas included well under a megabyte.
type toolCache struct{ c decodeCache[toolParams] }

// toolParams is a schema as decoded, and whether it is JSON at all.
type toolParams struct {
	params tokenize.ToolParameters
	valid  bool
}

func newToolCache() *toolCache { return &toolCache{decodeCache[toolParams]{maxBytes: 4 << 20}} }

// decode returns raw, a tool's parameters as the adapter sends them (nil
// for none), as api.Tool decodes them, and whether raw is valid JSON. An
// error is Ollama's refusal: a schema its types cannot hold (say a "type"
// list at the top).
func (c *toolCache) decode(raw json.RawMessage) (tokenize.ToolParameters, bool, error) {
	tp, err := getDecoded(&c.c, raw, decodeParams)
	return tp.params, tp.valid, err
}

func decodeParams(raw json.RawMessage) (toolParams, error) {
	if raw == nil {
		return toolParams{valid: true}, nil
	}
	if !json.Valid(raw) {
		return toolParams{}, nil
	}
	var p tokenize.ToolParameters
	if err := json.Unmarshal(raw, &p); err != nil {
		return toolParams{valid: true}, err
	}
	return toolParams{params: p, valid: true}, nil
}

// promptTool is t as /api/chat decodes it into api.Tool, with params
// decoded already. json.Marshal writes invalid UTF-8 as U+FFFD, which is
// then what Ollama reads.
func promptTool(t *chatToolSpec, params tokenize.ToolParameters) tokenize.PromptTool {
	name, desc := t.Name, t.Description
	if !utf8.ValidString(name) || !utf8.ValidString(desc) {
		var f struct{ Name, Description string }
		b, _ := json.Marshal(struct{ Name, Description string }{name, desc})
		_ = json.Unmarshal(b, &f)
		name, desc = f.Name, f.Description
	}
	return tokenize.PromptTool{Type: "function", Function: tokenize.ToolFunction{Name: name, Description: desc, Parameters: params}}
}

// argumentsError is the adapter's refusal of arguments that decode
// failed on, or nil when the adapter sends them (and Ollama refuses).
func argumentsError(err error) error {
	if err == nil {
		return nil
	}
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn):
		return err
	case errors.Is(err, tokenize.ErrNotObject):
		return errorString("arguments must be a JSON object")
	}
	return nil
}
