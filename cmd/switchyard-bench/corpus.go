package main

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/switchyard/switchyard/policy/tokenize"
	"github.com/switchyard/switchyard/providers/ollama/ollamafake"
)

// corpus is the text the benchmarks send: the real source files and
// documents policy/tokenize keeps as samples, and the real Qwen3 vocabulary
// beside them.
type corpus struct {
	root    string
	samples []sample
}

type sample struct {
	name string
	text string
}

// loadCorpus reads the samples under the module root.
func loadCorpus(root string) (*corpus, error) {
	dir := filepath.Join(root, "policy", "tokenize", "testdata", "samples")
	names, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil || len(names) == 0 {
		return nil, fmt.Errorf("no samples in %s (run from the switchyard module): %v", dir, err)
	}
	slices.Sort(names)
	c := &corpus{root: root}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			return nil, err
		}
		c.samples = append(c.samples, sample{name: strings.TrimSuffix(filepath.Base(n), ".txt"), text: string(b)})
	}
	return c, nil
}

// joined is every sample, one after another.
func (c *corpus) joined() string {
	var b strings.Builder
	for _, s := range c.samples {
		b.WriteString(s.text)
	}
	return b.String()
}

func (c *corpus) tokenizerPath() string {
	return filepath.Join(c.root, "policy", "tokenize", "testdata", "qwen3", "tokenizer.json.gz")
}

// vocabulary reads Qwen3's tokenizer.json as tokenize loads it.
func (c *corpus) vocabulary() (tokenize.Vocabulary, error) {
	f, err := os.Open(c.tokenizerPath())
	if err != nil {
		return tokenize.Vocabulary{}, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return tokenize.Vocabulary{}, fmt.Errorf("%s: %w", f.Name(), err)
	}
	v, err := tokenize.LoadTokenizerJSON(zr)
	if err != nil {
		return tokenize.Vocabulary{}, fmt.Errorf("%s: %w", f.Name(), err)
	}
	return v, nil
}

// fakeVocabulary is the same vocabulary in the form the fake Ollama serves
// from a verbose /api/show, so the daemon primes its exact counter from it
// as it would from a real Ollama.
func (c *corpus) fakeVocabulary() (*ollamafake.Vocabulary, error) {
	f, err := os.Open(c.tokenizerPath())
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	return ollamafake.VocabularyFromTokenizerJSON(zr, tokenize.PreQwen2)
}

// chatMessage is an OpenAI chat message as agents send it.
type chatMessage struct {
	Role       string     `json:"role"`
	Content    *string    `json:"content"`
	ToolCalls  []toolCall `json:"tool_calls,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
}

type toolCall struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

func text(role, s string) chatMessage { return chatMessage{Role: role, Content: &s} }

// conversation is an agent's conversation, without its newest message.
type conversation struct {
	repo     string
	messages []chatMessage
}

// shortConversation is one short agent turn in repo: a system prompt that
// states the working directory, and nothing else yet.
func shortConversation(repo string) conversation {
	return conversation{repo: repo, messages: []chatMessage{
		// The directory stated as opencode states it, so that deciding
		// reads the repository's policy and judges every file the
		// conversation reads against it, as for a real agent.
		text("system", "You are a coding agent working in a Go repository.\n<env>\n  Working directory: "+repo+"\n</env>\n"+
			strings.Repeat("Follow the house style; keep changes small and tested. ", 20)),
	}}
}

// bigConversation is about size bytes of an agent's history in repo: the
// samples read as tool results, then slices of them pasted by the user.
// Every message carries tag, so conversations with different tags share no
// message (each is new to switchyard's per-message cache).
func (c *corpus) bigConversation(repo, tag string, size int) conversation {
	conv := shortConversation(repo)
	n := 0
	add := func(m chatMessage) {
		conv.messages = append(conv.messages, m)
		if m.Content != nil {
			n += len(*m.Content)
		}
		n += 64
	}
	add(text("user", tag+": the tests fail after the refactor; read the files and find out why."))
	for i, s := range c.samples {
		if n >= size {
			break
		}
		tc := toolCall{ID: fmt.Sprintf("call_%s_%d", tag, i), Type: "function"}
		tc.Function.Name = "read_file"
		tc.Function.Arguments = fmt.Sprintf(`{"path":%q}`, s.name)
		add(chatMessage{Role: "assistant", ToolCalls: []toolCall{tc}})
		body := tag + "\n" + s.text
		add(chatMessage{Role: "tool", ToolCallID: tc.ID, Content: &body})
	}
	all := c.joined()
	const piece = 64 << 10
	for i := 0; n < size; i++ {
		off := (i * 7919 * 13) % (len(all) - piece)
		add(text("user", tag+" pasted:\n"+strings.ToValidUTF8(all[off:off+piece], "")))
		add(text("assistant", "Noted; go on."))
	}
	return conv
}

// request is the conversation plus one new user message, as an OpenAI
// chat completions body.
// anthropicRequest is the same turn as request, as Claude Code sends it:
// Anthropic Messages, the system prompt at the top, text in blocks. Only
// a conversation of system and user text (shortConversation) is written
// this way.
func (c conversation) anthropicRequest(last string, stream bool) []byte {
	type block struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	type message struct {
		Role    string  `json:"role"`
		Content []block `json:"content"`
	}
	var system []block
	var msgs []message
	for _, m := range c.messages {
		if m.Role == "system" {
			system = append(system, block{"text", *m.Content})
			continue
		}
		msgs = append(msgs, message{m.Role, []block{{"text", *m.Content}}})
	}
	msgs = append(msgs, message{"user", []block{{"text", last}}})
	b, _ := json.Marshal(map[string]any{"model": "auto", "stream": stream, "system": system, "messages": msgs, "max_tokens": 512})
	return b
}

func (c conversation) request(last string, stream bool) []byte {
	msgs := append(c.messages[:len(c.messages):len(c.messages)], text("user", last))
	b, _ := json.Marshal(map[string]any{"model": "auto", "stream": stream, "messages": msgs, "max_tokens": 512})
	return b
}

// responsesRequest is the same turn as request, as Codex sends it: OpenAI
// Responses, the system prompt as instructions, text in input_text parts.
// Only a conversation of system and user text is written this way.
func (c conversation) responsesRequest(last string, stream bool) []byte {
	type part struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	type item struct {
		Type    string `json:"type"`
		Role    string `json:"role"`
		Content []part `json:"content"`
	}
	var instructions string
	var input []item
	for _, m := range append(c.messages[:len(c.messages):len(c.messages)], text("user", last)) {
		if m.Role == "system" {
			instructions += *m.Content
			continue
		}
		input = append(input, item{"message", m.Role, []part{{"input_text", *m.Content}}})
	}
	b, _ := json.Marshal(map[string]any{"model": "auto", "stream": stream, "instructions": instructions, "input": input, "max_output_tokens": 512})
	return b
}

// geminiRequest is the same turn as request, as Gemini CLI sends it: the
// Gemini API's generateContent body (the model and whether to stream are
// in the URL). Only a conversation of system and user text is written
// this way.
func (c conversation) geminiRequest(last string) []byte {
	type part struct {
		Text string `json:"text"`
	}
	type content struct {
		Role  string `json:"role,omitempty"`
		Parts []part `json:"parts"`
	}
	var system *content
	var contents []content
	for _, m := range append(c.messages[:len(c.messages):len(c.messages)], text("user", last)) {
		if m.Role == "system" {
			system = &content{Parts: []part{{*m.Content}}}
			continue
		}
		contents = append(contents, content{Role: m.Role, Parts: []part{{*m.Content}}})
	}
	b, _ := json.Marshal(map[string]any{"systemInstruction": system, "contents": contents,
		"generationConfig": map[string]any{"maxOutputTokens": 512}})
	return b
}
