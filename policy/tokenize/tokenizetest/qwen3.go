// Package tokenizetest gives tests in other packages the Qwen3 tokenizer
// that policy/tokenize keeps as test data, without linking 2 MB of it into
// any binary: the file is read at run time, found relative to this source
// file.
package tokenizetest

import (
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/switchyard/switchyard/policy/tokenize"
)

// Qwen3TokenizerPath is the absolute path of the gzipped Qwen3
// tokenizer.json (Apache-2.0; see the NOTICE beside it).
func Qwen3TokenizerPath() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return filepath.Join("policy", "tokenize", "testdata", "qwen3", "tokenizer.json.gz")
	}
	return filepath.Join(filepath.Dir(file), "..", "testdata", "qwen3", "tokenizer.json.gz")
}

var qwen3 struct {
	once sync.Once
	v    tokenize.Vocabulary
	bpe  *tokenize.BPE
	err  error
}

func load() {
	qwen3.once.Do(func() {
		f, err := os.Open(Qwen3TokenizerPath())
		if err != nil {
			qwen3.err = err
			return
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			qwen3.err = fmt.Errorf("%s: %w", f.Name(), err)
			return
		}
		if qwen3.v, err = tokenize.LoadTokenizerJSON(zr); err != nil {
			qwen3.err = fmt.Errorf("%s: %w", f.Name(), err)
			return
		}
		qwen3.bpe, qwen3.err = tokenize.NewBPE(qwen3.v)
	})
}

// Qwen3Vocabulary returns Qwen3's vocabulary in the form Ollama's /api/show
// carries it: 151,669 tokens (151,643 BPE tokens and 26 added ones) with
// their types, and 151,387 merges. It is loaded once per test binary;
// callers must not modify the slices. It fails tb if the file is missing.
func Qwen3Vocabulary(tb testing.TB) tokenize.Vocabulary {
	tb.Helper()
	load()
	if qwen3.err != nil {
		tb.Fatalf("loading the Qwen3 tokenizer: %v", qwen3.err)
	}
	return qwen3.v
}

// Qwen3BPE returns a tokenizer built from Qwen3Vocabulary, shared by the
// test binary (it is safe for concurrent use).
func Qwen3BPE(tb testing.TB) *tokenize.BPE {
	tb.Helper()
	Qwen3Vocabulary(tb)
	return qwen3.bpe
}
