package main

import (
	"fmt"
	"slices"
	"sync"

	"github.com/switchyard/switchyard/policy"
	"github.com/switchyard/switchyard/policy/secrets"
	"github.com/switchyard/switchyard/policy/tokenize"
	"github.com/switchyard/switchyard/policy/workspace"
	"github.com/switchyard/switchyard/providers"
	"github.com/switchyard/switchyard/providers/ollama"
	"github.com/switchyard/switchyard/router"
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

func (t *tokenCounter) CountRequest(req *providers.Request) (int, bool) {
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

// features gathers what the policy decides on from a request.
type features struct {
	store *workspace.Store
}

func newFeatures() *features {
	return &features{store: workspace.NewStore(workspace.StoreOptions{})}
}

// workspaceAdapter gives the router the workspace package's answers.
type workspaceAdapter struct{ store *workspace.Store }

func (w workspaceAdapter) Dirs(req *providers.Request) []string {
	var out []string
	for _, d := range workspace.Dirs(req) {
		out = append(out, d.Path)
	}
	return out
}

func (w workspaceAdapter) Lookup(dir string) router.RepoPolicy {
	p := w.store.Lookup(dir)
	rp := router.RepoPolicy{Privacy: p.Privacy, Clouds: p.Clouds, File: p.File, Err: p.Err}
	if p.Err != nil {
		rp.Privacy = policy.Private
	}
	return rp
}

func (f *features) workspace() router.Workspace { return workspaceAdapter{f.store} }

func (f *features) files(req *providers.Request) int { return workspace.CountFiles(req) }

// secrets returns the kinds of credential in req, each once.
func (f *features) secrets(req *providers.Request) []string {
	var kinds []string
	for _, fd := range secrets.ScanRequest(req) {
		if !slices.Contains(kinds, fd.Kind) {
			kinds = append(kinds, fd.Kind)
		}
	}
	return kinds
}
