package tokenize

import (
	"errors"
	"fmt"
	"strings"
)

// Renderer renders a PromptInput into the prompt the model reads, as
// Ollama 0.17.4 renders it: through the model's Go template, executed as
// Ollama's template engine executes it, or through the port of a renderer
// built into Ollama that the model names instead. It is safe for
// concurrent use.
type Renderer struct {
	template *ollamaTemplate
	builtin  func(*promptBuffer, *PromptInput)
	err      error
}

// NewRenderer returns the Renderer for a model that names the built-in
// renderer builtin ("qwen3-coder"), which takes precedence, or else has
// the Go text/template template. It never returns nil; a Renderer that
// cannot render as Ollama does (an unknown built-in renderer, a template
// that does not parse, no template at all) says why in Err.
func NewRenderer(builtin, template string) *Renderer {
	r := &Renderer{}
	switch {
	case builtin == "qwen3-coder":
		r.builtin = renderQwen3Coder
	case builtin != "":
		r.err = fmt.Errorf("tokenize: Ollama's built-in renderer %q is not implemented", builtin)
	case template == "":
		r.err = errors.New("tokenize: the model has neither a template nor a renderer")
	default:
		t, err := parseOllamaTemplate(template)
		if err != nil {
			r.err = fmt.Errorf("tokenize: the model's template does not parse (%v)", err)
		}
		r.template = t
	}
	return r
}

// Err is nil when r renders as Ollama does, and otherwise says why it
// cannot render at all.
func (r *Renderer) Err() error { return r.err }

// Render returns the prompt for in, special tokens spelled out. It fails
// with Err, or when the template fails on this input (Ollama would answer
// 500). It does not modify in.
func (r *Renderer) Render(in *PromptInput) (string, error) {
	var b promptBuffer
	if err := r.renderTo(&b, in); err != nil {
		return "", err
	}
	return b.view(), nil // b is not used again
}

// renderTo is Render into b, which it empties first.
func (r *Renderer) renderTo(b *promptBuffer, in *PromptInput) (err error) {
	b.reset()
	if r.err != nil {
		return r.err
	}
	b.Grow(renderedSize(in))
	defer func() {
		// Ollama's deleteNode asserts node types that a template with
		// nodes after {{ .Response }} inside a branch does not have; a
		// bad template must cost exactness, never the daemon.
		if p := recover(); p != nil {
			err = fmt.Errorf("tokenize: rendering panicked: %v", p)
		}
	}()
	if r.builtin != nil {
		r.builtin(b, in)
		return nil
	}
	return r.template.execute(b, withImageTags(in.Messages), in.Tools, in.Think)
}

// withImageTags is what chatPrompt (server/prompt.go) does before a
// template, not a built-in renderer: each image becomes "[img-N]",
// numbered across the request, replacing an "[img]" in the content or
// else prefixed to it. msgs is returned as it is when no message has an
// image, and copied otherwise.
func withImageTags(msgs []PromptMessage) []PromptMessage {
	images := false
	for i := range msgs {
		images = images || msgs[i].Images > 0
	}
	if !images {
		return msgs
	}
	msgs = append([]PromptMessage(nil), msgs...)
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
	return msgs
}

// renderedSize is a little more than the prompt for in will take, so that
// the buffer is allocated once: the content, the arguments, the tools,
// and room for the template's text.
func renderedSize(in *PromptInput) int {
	n := 4096
	for i := range in.Messages {
		m := &in.Messages[i]
		n += 64 + len(m.Content) + len(m.Thinking)
		for _, tc := range m.ToolCalls {
			n += len(tc.Function.Name) + 64
			for k, v := range tc.Function.Arguments.All() {
				n += len(k) + 8
				if s, ok := v.(string); ok {
					n += 2 * len(s)
				} else {
					n += 16
				}
			}
		}
	}
	n += 512 * len(in.Tools)
	return n
}
