package tokenize

import (
	"strings"
	"testing"
)

// TestPromptMemoKeepsNoCopy: a memo of a prompt written from long strings
// refers to them and copies only the template's text between them.
func TestPromptMemoKeepsNoCopy(t *testing.T) {
	c := NewCounter()
	r := NewRenderer("qwen3-coder", "")
	in := &PromptInput{Messages: []PromptMessage{
		{Role: "system", Content: strings.Repeat("You are a coding agent. ", 400)},
		{Role: "user", Content: strings.Repeat("Read main.go and fix the failing test. ", 2000)},
		{Role: "assistant", Content: "short"},
		{Role: "user", Content: strings.Repeat("func main() { println(42) }\n", 1000)},
	}}
	if _, err := c.CountPrompt(r, in); err != nil {
		t.Fatal(err)
	}
	if len(c.prompts.list) != 1 {
		t.Fatalf("%d memos, want 1", len(c.prompts.list))
	}
	m := c.prompts.list[0]
	copied, referred := 0, 0
	for _, p := range m.pieces {
		if p.ref {
			referred += len(p.s)
		} else {
			copied += len(p.s)
		}
	}
	if copied+referred != m.length {
		t.Fatalf("pieces cover %d bytes of %d", copied+referred, m.length)
	}
	if copied > 200 || referred < m.length-200 {
		t.Errorf("the memo of a %d-byte prompt copied %d bytes and referred to %d", m.length, copied, referred)
	}
}

// TestPromptMemoCommon compares a memo with prompts written from the same
// strings, from equal copies of them, and from strings that differ: the
// first by identity, the others byte by byte, to the same answers.
func TestPromptMemoCommon(t *testing.T) {
	long := strings.Repeat("abcdefgh", 100)
	other := strings.Repeat("abcdefgh", 50) + "X" + strings.Repeat("abcdefgh", 50)[1:]
	write := func(parts ...string) *promptBuffer {
		b := &promptBuffer{}
		for _, p := range parts {
			b.WriteString(p)
		}
		return b
	}
	clone := func(s string) string { return strings.Clone(s) }
	m := newPromptMemo(write("<a>", long, "<b>", long, "<c>"), 0, nil)
	for _, tc := range []struct {
		name string
		b    *promptBuffer
		want int
	}{
		{"same-strings", write("<a>", long, "<b>", long, "<c>"), m.length},
		{"equal-copies", write("<a>", clone(long), "<b>", clone(long), "<c>"), m.length},
		{"longer", write("<a>", long, "<b>", long, "<c>", long), m.length},
		{"one-string", write("<a>" + long + "<b>" + long + "<c>"), m.length},
		{"second-differs", write("<a>", long, "<b>", other, "<c>"), 3 + 800 + 3 + 400},
		{"template-differs", write("<a>", long, "<B>", long, "<c>"), 3 + 800 + 1},
		{"shorter", write("<a>", long[:500]), 3 + 500},
		{"shifted", write("<a> ", long, "<b>", long, "<c>"), 3},
		{"empty", write(), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := m.common(string(tc.b.b), tc.b.refs); got != tc.want {
				t.Errorf("common = %d, want %d", got, tc.want)
			}
		})
	}
}

// TestCounterTrim keeps the most recent memos within a quarter of the
// bound, and counting from a trimmed Counter is as before.
func TestCounterTrim(t *testing.T) {
	c := NewCounter()
	r := NewRenderer("qwen3-coder", "")
	inputs := make([]*PromptInput, promptMemoSlots)
	want := make([]int, len(inputs))
	for i := range inputs {
		// Each 1.5 MiB, of a conversation of its own.
		inputs[i] = &PromptInput{Messages: []PromptMessage{
			{Role: "user", Content: strings.Repeat(string(rune('a'+i))+" word ", 256<<10)},
		}}
		n, err := c.CountPrompt(r, inputs[i])
		if err != nil {
			t.Fatal(err)
		}
		want[i] = n.Tokens
	}
	if len(c.prompts.list) != promptMemoSlots {
		t.Fatalf("%d memos before trimming, want %d", len(c.prompts.list), promptMemoSlots)
	}
	c.Trim()
	size := 0
	for i, m := range c.prompts.list {
		size += m.length
		if m.length != len(inputs[len(inputs)-1-i].Messages[0].Content)+len(imStart+"user\n"+imEnd+"\n"+imStart+"assistant\n") {
			t.Errorf("memo %d is not of the %d-th most recent prompt", i, i+1)
		}
	}
	if size > promptMemoBytes/4 || len(c.prompts.list) == 0 {
		t.Errorf("after Trim: %d memos of %d bytes, want some and at most %d", len(c.prompts.list), size, promptMemoBytes/4)
	}
	for i, in := range inputs {
		if n, _ := c.CountPrompt(r, in); n.Tokens != want[i] {
			t.Errorf("prompt %d: %d tokens after Trim, %d before", i, n.Tokens, want[i])
		}
	}
}
