package ollama

import (
	"context"
	"net/http"
	"strconv"

	"github.com/switchyard/switchyard/providers"
)

// maxVerboseShowBody bounds a verbose /api/show: Qwen3's is about 4 MB
// (151,669 tokens and 151,387 merges); 64 MiB leaves room for vocabularies
// several times larger.
const maxVerboseShowBody = 64 << 20

// Vocabulary is the tokenizer data embedded in the model's GGUF, as
// /api/show returns it with "verbose": true (GGUF spec §Tokenizer;
// tokenizer.ggml.pre is llama.cpp's de-facto key).
type Vocabulary struct {
	// Model is tokenizer.ggml.model, e.g. "gpt2" for byte-level BPE.
	Model string
	// Pre is tokenizer.ggml.pre, the pre-tokenizer, e.g. "qwen2".
	Pre string
	// Tokens are indexed by token id.
	Tokens []string
	// Merges are BPE merge rules, "left right", highest priority first.
	Merges []string
	// TokenTypes, when present, are per token: 1 normal, 2 unknown,
	// 3 control, 4 user defined, 5 unused, 6 byte.
	TokenTypes []int32
}

// Vocabulary reads the model's tokenizer vocabulary from /api/show with
// "verbose": true. It fails with KindProtocol when Ollama returns no tokens
// (an Ollama too old to honour verbose, or a model without an embedded
// vocabulary).
func (p *Provider) Vocabulary(ctx context.Context) (Vocabulary, error) {
	var show struct {
		ModelInfo struct {
			Model      string   `json:"tokenizer.ggml.model"`
			Pre        string   `json:"tokenizer.ggml.pre"`
			Tokens     []string `json:"tokenizer.ggml.tokens"`
			Merges     []string `json:"tokenizer.ggml.merges"`
			TokenTypes []int32  `json:"tokenizer.ggml.token_type"`
		} `json:"model_info"`
	}
	req := map[string]any{"model": p.opts.Model, "verbose": true}
	if err := p.doJSON(ctx, http.MethodPost, "/api/show", req, &show, maxVerboseShowBody); err != nil {
		return Vocabulary{}, err
	}
	mi := show.ModelInfo
	if len(mi.Tokens) == 0 {
		return Vocabulary{}, &providers.Error{Provider: p.name, Kind: providers.KindProtocol,
			Message: "/api/show: no tokenizer.ggml.tokens for " + strconv.Quote(p.opts.Model) + " even with verbose"}
	}
	if len(mi.TokenTypes) > 0 && len(mi.TokenTypes) != len(mi.Tokens) {
		return Vocabulary{}, &providers.Error{Provider: p.name, Kind: providers.KindProtocol,
			Message: "/api/show: tokenizer.ggml.token_type has " + strconv.Itoa(len(mi.TokenTypes)) + " entries for " + strconv.Itoa(len(mi.Tokens)) + " tokens"}
	}
	return Vocabulary{Model: mi.Model, Pre: mi.Pre, Tokens: mi.Tokens, Merges: mi.Merges, TokenTypes: mi.TokenTypes}, nil
}
