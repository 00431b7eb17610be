package tokenize

import (
	"errors"
	"fmt"
	"strings"

	"github.com/switchyard/switchyard/chat"
)

// PromptFormat is how Ollama turns a chat into the served model's prompt,
// as its /api/show describes the model.
type PromptFormat struct {
	// Model is the model's name ("qwen3-coder:30b"); Ollama strips old
	// reasoning from the turns of a model named deepseek-r1.
	Model string
	// Family is details.family; for "qwen3" Ollama strips the reasoning
	// of assistant turns before the last user message.
	Family string
	// Template is the model's Go text/template ("template"), used when
	// Renderer is empty.
	Template string
	// Renderer names a renderer built into Ollama ("renderer"), e.g.
	// "qwen3-coder", which takes precedence over Template.
	Renderer string
	// System is the definition's SYSTEM ("system"), which Ollama puts
	// first when a request starts with no system message of its own.
	System string
	// Messages are the definition's MESSAGEs ("messages"), which Ollama
	// puts before the request's.
	Messages []FormatMessage
	// Thinks is whether the model has the "thinking" capability: Ollama
	// then renders with think on unless the request turns it off.
	Thinks bool
}

// FormatMessage is a message of a model definition.
type FormatMessage struct {
	Role, Content string
}

// Renderer renders requests into the prompt Ollama 0.17.4 gives the model
// a PromptFormat describes, for a request as switchyard's Ollama adapter
// sends it. It is safe for concurrent use.
//
// A Renderer that cannot render as Ollama does (an unknown built-in
// renderer, a template that does not parse, no template at all) renders
// Qwen3's ChatML instead, as a Counter without a Renderer does, and its
// counts are not exact; Err says why.
type Renderer struct {
	format   PromptFormat
	template *ollamaTemplate
	builtin  func(*promptBuffer, []apiMessage, []apiTool)
	err      error
	tools    *toolCache
	args     *argsCache
}

// NewRenderer returns the Renderer for f. It never returns nil.
func NewRenderer(f PromptFormat) *Renderer {
	f.Messages = append([]FormatMessage(nil), f.Messages...)
	r := &Renderer{format: f, tools: newToolCache(), args: newArgsCache()}
	switch {
	case f.Renderer == "qwen3-coder":
		r.builtin = renderQwen3Coder
	case f.Renderer != "":
		r.err = fmt.Errorf("tokenize: Ollama's built-in renderer %q is not implemented; counting with Qwen3's ChatML", f.Renderer)
	case f.Template == "":
		r.err = errors.New("tokenize: the model has neither a template nor a renderer; counting with Qwen3's ChatML")
	default:
		t, err := parseOllamaTemplate(f.Template)
		if err != nil {
			r.err = fmt.Errorf("tokenize: the model's template does not parse (%v); counting with Qwen3's ChatML", err)
		}
		r.template = t
	}
	return r
}

// Err is nil when r renders as Ollama does, and otherwise says why it
// renders ChatML instead.
func (r *Renderer) Err() error { return r.err }

// Render returns the prompt Ollama would render for req, special tokens
// spelled out, and whether it is exactly that: false when r falls back to
// ChatML (see Err), when the template fails on this request (Ollama would
// answer 500), when the adapter or Ollama would refuse the request, or when
// it carries images, whose tokens no text shows.
func (r *Renderer) Render(req *chat.Request) (string, bool) {
	var b promptBuffer
	ok := r.renderTo(&b, req)
	return b.view(), ok // b is not used again
}

// renderTo is Render into b, which it empties first.
func (r *Renderer) renderTo(b *promptBuffer, req *chat.Request) bool {
	b.reset()
	if r.err != nil {
		b.WriteString(RenderPrompt(req))
		return false
	}
	b.Grow(renderedSize(req))
	ok, err := r.render(b, req)
	if err != nil {
		b.reset()
		b.WriteString(RenderPrompt(req))
		return false
	}
	return ok
}

// render writes the prompt; an error means the template failed, and
// exactness is false for a request that is not rendered for real.
func (r *Renderer) render(b *promptBuffer, req *chat.Request) (exact bool, err error) {
	defer func() {
		// Ollama's deleteNode asserts node types that a template with
		// nodes after {{ .Response }} inside a branch does not have; a
		// bad template must cost exactness, never the daemon.
		if p := recover(); p != nil {
			exact, err = false, fmt.Errorf("tokenize: rendering panicked: %v", p)
		}
	}()
	c := ollamaChatOf(req, &r.format, r.tools, r.args)
	if r.builtin != nil {
		r.builtin(b, c.messages, c.tools)
	} else {
		addImageTags(c.messages)
		if err := r.template.execute(b, c.messages, c.tools, c.think); err != nil {
			return false, err
		}
	}
	return c.images == 0 && c.refused == nil, nil
}

// addImageTags is what chatPrompt does for a template (not for a built-in
// renderer): each image becomes "[img-N]", numbered across the request,
// replacing an "[img]" in the content or else prefixed to it.
func addImageTags(msgs []apiMessage) {
	id := 0
	for i := range msgs {
		var prefix string
		content := msgs[i].Content
		for range msgs[i].Images {
			tag := fmt.Sprintf("[img-%d]", id)
			id++
			if !strings.Contains(content, "[img]") {
				prefix += tag
			} else {
				content = strings.Replace(content, "[img]", tag, 1)
			}
		}
		msgs[i].Content = prefix + content
	}
}

// renderedSize is a little more than the prompt for req will take, so that
// the builder is allocated once: the content, the tools, and room for the
// template's text.
func renderedSize(req *chat.Request) int {
	n := 4096
	for i := range req.Messages {
		m := &req.Messages[i]
		n += 64
		for _, p := range m.Content {
			n += len(p.Text) + 1
		}
		for _, tc := range m.ToolCalls {
			n += len(tc.Name) + 2*len(tc.Arguments) + 64
		}
	}
	for _, t := range req.Tools {
		n += len(t.Name) + len(t.Description) + 2*len(t.Parameters) + 256
	}
	return n
}
