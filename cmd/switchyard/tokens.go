package main

import (
	"fmt"
	"slices"
	"sync"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/policy/tokenize"
	"github.com/switchyard/switchyard/providers/ollama"
)

// tokenCounter counts prompts for the router: with the first local model's
// own vocabulary once Ollama serves it, with the calibrated estimate until
// then.
type tokenCounter struct {
	c      *tokenize.Counter
	mu     sync.Mutex
	owner  *localModel
	format *tokenize.PromptFormat // the one the counter renders with
}

func newTokenCounter() *tokenCounter { return &tokenCounter{c: tokenize.NewCounter()} }

func (t *tokenCounter) CountRequest(req *chat.Request) (int, bool) {
	n := t.c.CountRequest(req)
	return n.Tokens, n.Exact
}

// wants says whether lm's vocabulary should be fetched: the first local
// model is the one whose window is the hard wall, and only while its
// vocabulary is not in yet.
func (t *tokenCounter) wants(lm *localModel) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.owner == nil {
		t.owner = lm
	}
	return t.owner == lm && !t.c.Exact()
}

func (t *tokenCounter) setVocabulary(lm *localModel, v ollama.Vocabulary) error {
	bpe, err := tokenize.NewBPE(tokenize.Vocabulary{Model: v.Model, Pre: v.Pre, Tokens: v.Tokens, Merges: v.Merges, TokenTypes: v.TokenTypes})
	if err != nil {
		return fmt.Errorf("%s: %w", lm.cfg.Model, err)
	}
	t.c.SetVocabulary(bpe)
	return nil
}

// setFormat makes the counter render prompts as Ollama does for the model
// info describes, if lm is the model whose window is the hard wall. It
// reports whether that changed the rendering, and the renderer's problem
// when it cannot render exactly as Ollama does.
func (t *tokenCounter) setFormat(lm *localModel, info ollama.ModelInfo) (bool, error) {
	f := tokenize.PromptFormat{Model: info.Model, Family: info.Family, Template: info.Template, Renderer: info.Renderer,
		System: info.System, Thinks: info.Thinks()}
	for _, m := range info.Messages {
		f.Messages = append(f.Messages, tokenize.FormatMessage{Role: m.Role, Content: m.Content})
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.owner == nil {
		t.owner = lm
	}
	if t.owner != lm || (t.format != nil && samePromptFormat(*t.format, f)) {
		return false, nil
	}
	t.format = &f
	r := tokenize.NewRenderer(f)
	t.c.SetRenderer(r)
	return true, r.Err()
}

func samePromptFormat(a, b tokenize.PromptFormat) bool {
	return a.Model == b.Model && a.Family == b.Family && a.Template == b.Template && a.Renderer == b.Renderer &&
		a.System == b.System && a.Thinks == b.Thinks && slices.Equal(a.Messages, b.Messages)
}
