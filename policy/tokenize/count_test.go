package tokenize_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/policy/tokenize"
	"github.com/switchyard/switchyard/policy/tokenize/tokenizetest"
	"go.uber.org/goleak"
)

// FuzzCount: counting never panics, any non-empty text costs at least one
// token and at most one per byte, exact or estimated, and the chat
// template around it never panics either.
func FuzzCount(f *testing.F) {
	bpe := tokenizetest.Qwen3BPE(f)
	for _, s := range []string{"", "a", "hello world", "\xff\xfe", "<|im_start|>", "<|im_", "中文🚀", "  \n\n ", "don't", strings.Repeat("=", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := bpe.Count(s)
		if s == "" && n != 0 {
			t.Fatalf("Count(\"\") = %d", n)
		}
		if s != "" && (n < 1 || n > len(s)) {
			t.Fatalf("Count(%q) = %d, want 1..%d", s, n, len(s))
		}
		if got := len(bpe.Encode(s)); got != n {
			t.Fatalf("len(Encode(%q)) = %d, Count = %d", s, got, n)
		}
		if e := tokenize.Estimate(s); s != "" && e < 1 {
			t.Fatalf("Estimate(%q) = %d", s, e)
		}
		tokenize.RenderPrompt(&chat.Request{
			Messages: []chat.Message{msg(chat.RoleAssistant, s), msg(chat.RoleTool, s)},
			Tools:    []chat.Tool{{Name: s, Description: s, Parameters: []byte(s)}},
		})
	})
}

// TestCountInvalidUTF8 counts invalid bytes as byte-level BPE does: each
// is a token of its own unless a merge joins it to a neighbour.
func TestCountInvalidUTF8(t *testing.T) {
	bpe := tokenizetest.Qwen3BPE(t)
	for _, s := range []string{"\xff", "\xff\xfe\xfd", "ok\xc3", "\xe4\xb8", "a\x80b", strings.Repeat("\xff", 1000)} {
		n := bpe.Count(s)
		if n < 1 || n > len(s) {
			t.Errorf("Count(%q) = %d", s, n)
		}
		if utf8.ValidString(s) {
			t.Errorf("%q is valid UTF-8; the case tests nothing", s)
		}
	}
}

func TestCountLongWords(t *testing.T) {
	bpe := tokenizetest.Qwen3BPE(t)
	vocab := tokenizetest.Qwen3Vocabulary(t)
	// 200 KB in one piece goes through the heap merge. Its tokens must
	// spell the text back (for ASCII letters and '=' byte-level spelling
	// is the identity), and mostly be long ones.
	for _, long := range []string{strings.Repeat("abcdefghij", 20000), strings.Repeat("=", 200000), strings.Repeat("xyzzy", 40000)} {
		ids := bpe.Encode(long)
		var b strings.Builder
		for _, id := range ids {
			b.WriteString(vocab.Tokens[id])
		}
		if b.String() != long {
			t.Errorf("the tokens of a %d-byte word do not spell it back", len(long))
		}
		if n := bpe.Count(long); n != len(ids) || n > len(long)/2 {
			t.Errorf("Count = %d for %d bytes (%d ids): merges did not run", n, len(long), len(ids))
		}
	}
}

func TestCounterConcurrent(t *testing.T) {
	defer goleak.VerifyNone(t)
	bpe := tokenizetest.Qwen3BPE(t)
	c := tokenize.NewCounter()
	c.SetVocabulary(bpe)
	samples := loadSamples(t)
	// The template's five tokens per message are only five when the
	// content does not start with what merges with "user\n" (the Apache
	// licence starts with a newline): the truth is the rendering's count.
	want := make([]int, len(samples))
	for i, s := range samples {
		want[i] = bpe.Count(tokenize.RenderPrompt(&chat.Request{Messages: []chat.Message{msg(chat.RoleUser, s.Text)}}))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range samples {
				k := (i + g) % len(samples)
				s := samples[k]
				req := &chat.Request{Messages: []chat.Message{msg(chat.RoleUser, s.Text)}}
				if got := c.CountRequest(req).Tokens; got != want[k] {
					errs <- fmt.Errorf("%s: %d, want %d", s.Name, got, want[k])
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestCounterCount(t *testing.T) {
	c := tokenize.NewCounter()
	if got := c.Count("hello world"); got.Exact || got.Tokens < 2 {
		t.Errorf("without vocabulary: %+v", got)
	}
	if c.Exact() {
		t.Error("Exact before SetVocabulary")
	}
	c.SetVocabulary(tokenizetest.Qwen3BPE(t))
	if got := c.Count("hello world"); got != (tokenize.Count{Tokens: 2, Exact: true}) {
		t.Errorf("with vocabulary: %+v", got)
	}
}
