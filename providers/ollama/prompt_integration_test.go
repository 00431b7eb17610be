//go:build integration

package ollama

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/policy/tokenize/tokenizetest"
	"github.com/switchyard/switchyard/providers/ollama/realollama"
)

// Run with
//
//	go test -tags integration ./providers/ollama/ -run RealOllama [-record]
//
// -record rewrites testdata/observed.json from the run.

var record = flag.Bool("record", false, "rewrite "+observedPath+" with what this run observed")

func init() { testMain = realollama.Main }

// loggedPrompts returns every prompt the server logged at trace level
// (OLLAMA_DEBUG=2: llm/server.go logs "completion request" with the
// rendered prompt, quoted by slog's text handler).
func loggedPrompts(t *testing.T, log string) []string {
	t.Helper()
	re := regexp.MustCompile(`msg="completion request".* prompt=("(?:[^"\\]|\\.)*")`)
	var out []string
	for _, m := range re.FindAllStringSubmatch(log, -1) {
		p, err := strconv.Unquote(m[1])
		if err != nil {
			t.Fatalf("unquote %s: %v", m[1], err)
		}
		out = append(out, p)
	}
	return out
}

func TestRealOllamaRendersAsRenderer(t *testing.T) {
	s := realollama.Start(t, realollama.Options{Env: []string{"OLLAMA_DEBUG=2"}})
	s.CreateVariant(t, realollama.Variant{Name: coderModel, Renderer: "qwen3-coder", Parser: "qwen3-coder"})
	bpe := tokenizetest.Qwen3BPE(t)
	rec := observed{Ollama: realollama.Version, Formats: map[string]promptFormat{}}

	for _, model := range []string{templateModel, coderModel} {
		p := New(Options{BaseURL: s.URL, Model: model, ContextWindow: 8192})
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
		info, err := p.Refresh(ctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		f := formatOf(info)
		f.Template = strings.Clone(f.Template)
		rec.Formats[model] = f
		r := p.newPrompter(f)
		if r.Err() != nil {
			t.Fatalf("%s: %v", model, r.Err())
		}
		for _, c := range renderCases {
			t.Run(model+"/"+c.name, func(t *testing.T) {
				req := *c.req
				req.MaxTokens = 1
				usage := sendChat(t, p, &req)
				prompts := loggedPrompts(t, s.Log())
				if len(prompts) == 0 {
					t.Fatal("no prompt in the server log")
				}
				got := prompts[len(prompts)-1]
				rec.Prompts = append(rec.Prompts, observedPrompt{Case: c.name, Model: model, Prompt: got, PromptEvalCount: usage.PromptTokens})
				want, exact := r.Render(c.req)
				if want != got || !exact {
					t.Errorf("Ollama rendered\n%q\nswitchyard renders (exact %v)\n%q", got, exact, want)
				}
				if n := bpe.Count(got); n != usage.PromptTokens {
					t.Errorf("Ollama's prompt counts %d tokens here, prompt_eval_count %d", n, usage.PromptTokens)
				}
			})
		}
	}
	if *record && !t.Failed() {
		js, err := json.MarshalIndent(rec, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(observedPath, append(js, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("recorded %s", observedPath)
	}
}

// chat sends req through the Ollama adapter and returns the usage its last
// chunk reports.
func sendChat(t *testing.T, p *Provider, req *chat.Request) chat.Usage {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	st, err := p.Chat(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var usage *chat.Usage
	for {
		c, err := st.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if c.Usage != nil {
			usage = c.Usage
		}
	}
	if usage == nil || usage.PromptTokens == 0 {
		t.Fatalf("no prompt_eval_count in the reply (usage %+v)", usage)
	}
	return *usage
}
