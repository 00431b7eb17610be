package main

import (
	"fmt"
	"net/http"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/switchyard/switchyard/policy/tokenize"
)

func testCorpus(tb testing.TB) *corpus {
	tb.Helper()
	_, file, _, _ := runtime.Caller(0)
	c, err := loadCorpus(filepath.Join(filepath.Dir(file), "..", ".."))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func TestBigConversationIsOneMiB(t *testing.T) {
	c := testCorpus(t)
	a := c.bigConversation("/r", "a", 1<<20).request("#x go on", true)
	b := c.bigConversation("/r", "b", 1<<20).request("#x go on", true)
	if len(a) < 1<<20 || len(a) > 1<<20+256<<10 {
		t.Errorf("%d bytes", len(a))
	}
	if string(a) == string(b) {
		t.Error("two conversations with different tags are the same")
	}
}

// BenchmarkExplainWarm is the warm decision on a 1 MiB request, for
// profiling: go test -bench ExplainWarm -cpuprofile cpu.out ./cmd/switchyard-bench
func BenchmarkExplainWarm(b *testing.B) {
	c := testCorpus(b)
	v, err := c.vocabulary()
	if err != nil {
		b.Fatal(err)
	}
	bpe, err := tokenize.NewBPE(v)
	if err != nil {
		b.Fatal(err)
	}
	rt := newDecider(bpe)
	conv := c.bigConversation(b.TempDir(), "warm", 1<<20)
	rt.Explain(http.Header{}, conv.request("#first", false))
	bodies := make([][]byte, 64)
	for i := range bodies {
		bodies[i] = conv.request(fmt.Sprintf("#w%d next", i), false)
	}
	b.SetBytes(int64(len(bodies[0])))
	i := 0
	for b.Loop() {
		if _, err := rt.Explain(http.Header{}, bodies[i%len(bodies)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkExplainCold is the cold decision on a 1 MiB request: a new
// router and tokenizer each time, so every word is merged afresh.
func BenchmarkExplainCold(b *testing.B) {
	c := testCorpus(b)
	v, err := c.vocabulary()
	if err != nil {
		b.Fatal(err)
	}
	conv := c.bigConversation(b.TempDir(), "cold", 1<<20)
	body := conv.request("#cold next", false)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		b.StopTimer()
		bpe, err := tokenize.NewBPE(v)
		if err != nil {
			b.Fatal(err)
		}
		rt := newDecider(bpe)
		b.StartTimer()
		if _, err := rt.Explain(http.Header{}, body); err != nil {
			b.Fatal(err)
		}
	}
}
