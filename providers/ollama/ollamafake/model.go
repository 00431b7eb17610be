package ollamafake

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// Model is a model the fake serves.
type Model struct {
	// Name is the model name, e.g. "qwen3-coder:30b".
	Name string
	// Architecture is general.architecture, e.g. "qwen3moe"; the model_info
	// keys below are prefixed with it.
	Architecture string
	// NativeContext is <arch>.context_length.
	NativeContext int
	// DefinitionNumCtx, when non-zero, is PARAMETER num_ctx in the model
	// definition (the Modelfile), shown in /api/show "parameters".
	DefinitionNumCtx int
	// ExtraParameters are further definition parameters in order, as
	// key/value pairs (e.g. "stop", "<|im_end|>"; "temperature", 0.7).
	ExtraParameters []Parameter
	// KV cache geometry (<arch>.block_count, .attention.head_count,
	// .attention.head_count_kv, .attention.key_length, .value_length,
	// .embedding_length). KeyLength/ValueLength 0 omits those keys, as
	// GGUFs of some architectures do.
	BlockCount, HeadCount, HeadCountKV int
	KeyLength, ValueLength             int
	EmbeddingLength                    int
	// Capabilities as Ollama lists them: completion, tools, thinking, ...
	Capabilities []string
	// Family, ParameterSize and Quantization fill "details".
	Family, ParameterSize, Quantization string
	// ParameterCount is general.parameter_count.
	ParameterCount int64
	// Size is the weights' size in bytes (/api/tags, /api/ps).
	Size int64
	// Digest is the manifest digest (/api/tags), hex without "sha256:".
	Digest string
	// ModifiedAt is when the model was pulled or created.
	ModifiedAt time.Time
	// Vocabulary, when set, is served by a verbose /api/show.
	Vocabulary *Vocabulary
}

// Parameter is one definition parameter.
type Parameter struct {
	Key   string
	Value any
}

// Vocabulary is a GGUF tokenizer vocabulary (tokenizer.ggml.*).
type Vocabulary struct {
	Model      string // tokenizer.ggml.model, e.g. "gpt2"
	Pre        string // tokenizer.ggml.pre, e.g. "qwen2"
	Tokens     []string
	Merges     []string
	TokenTypes []int32
}

// Qwen3Coder30B returns qwen3-coder:30b as the seed machine has it: the
// qwen3moe GGUF (native 262144, 48 layers, 32 heads, 4 KV heads of 128,
// hidden 2048; PROVIDERS.md §5.1) with a definition that sets num_ctx
// 131072 — the v-128k label bug.
func Qwen3Coder30B() Model {
	return Model{
		Name:             "qwen3-coder:30b",
		Architecture:     "qwen3moe",
		NativeContext:    262144,
		DefinitionNumCtx: 131072,
		ExtraParameters: []Parameter{
			{"repeat_penalty", 1.05}, {"stop", "<|im_start|>"}, {"stop", "<|im_end|>"}, {"stop", "<|endoftext|>"},
			{"temperature", 0.7}, {"top_k", 20}, {"top_p", 0.8},
		},
		BlockCount:      48,
		HeadCount:       32,
		HeadCountKV:     4,
		KeyLength:       128,
		ValueLength:     128,
		EmbeddingLength: 2048,
		Capabilities:    []string{"completion", "tools"},
		Family:          "qwen3moe",
		ParameterSize:   "30.5B",
		Quantization:    "Q4_K_M",
		ParameterCount:  30532122624,
		Size:            18556700761,
		Digest:          "06c1097efce0431c2045fe7b2e5108366e43bee1b4603a7aded8f21689e90bca",
		ModifiedAt:      time.Date(2026, 9, 14, 10, 21, 7, 0, time.UTC),
	}
}

// VocabularyFromTokenizerJSON converts a Hugging Face tokenizer.json
// (byte-level BPE) into the GGUF form Ollama serves: tokens by id, merges
// as "left right", token types 1 (normal), 3 (control: special added
// tokens) and 4 (user defined: other added tokens), as llama.cpp's
// convert_hf_to_gguf.py writes them. model is "gpt2" and pre the given
// pre-tokenizer name (for Qwen3, "qwen2").
func VocabularyFromTokenizerJSON(r io.Reader, pre string) (*Vocabulary, error) {
	var tj struct {
		AddedTokens []struct {
			ID      int    `json:"id"`
			Content string `json:"content"`
			Special bool   `json:"special"`
		} `json:"added_tokens"`
		Model struct {
			Type   string            `json:"type"`
			Vocab  map[string]int    `json:"vocab"`
			Merges []json.RawMessage `json:"merges"`
		} `json:"model"`
	}
	if err := json.NewDecoder(r).Decode(&tj); err != nil {
		return nil, fmt.Errorf("ollamafake: tokenizer.json: %w", err)
	}
	if tj.Model.Type != "BPE" {
		return nil, fmt.Errorf("ollamafake: tokenizer.json: model type %q, want BPE", tj.Model.Type)
	}
	n := 0
	for _, id := range tj.Model.Vocab {
		n = max(n, id+1)
	}
	for _, t := range tj.AddedTokens {
		n = max(n, t.ID+1)
	}
	v := &Vocabulary{Model: "gpt2", Pre: pre, Tokens: make([]string, n), TokenTypes: make([]int32, n)}
	for tok, id := range tj.Model.Vocab {
		if id < 0 {
			return nil, fmt.Errorf("ollamafake: tokenizer.json: negative id for %q", tok)
		}
		v.Tokens[id], v.TokenTypes[id] = tok, 1
	}
	for _, t := range tj.AddedTokens {
		if t.ID < 0 {
			return nil, fmt.Errorf("ollamafake: tokenizer.json: negative id for %q", t.Content)
		}
		v.Tokens[t.ID], v.TokenTypes[t.ID] = t.Content, 4
		if t.Special {
			v.TokenTypes[t.ID] = 3
		}
	}
	for i, tok := range v.Tokens {
		if v.TokenTypes[i] == 0 {
			// A hole in the ids: llama.cpp fills it with a padding token.
			v.Tokens[i], v.TokenTypes[i] = fmt.Sprintf("[PAD%d]", i), 5
		} else if tok == "" {
			v.TokenTypes[i] = 5
		}
	}
	// Merges are "a b" strings in older files, ["a", "b"] pairs in newer.
	for _, m := range tj.Model.Merges {
		var s string
		if json.Unmarshal(m, &s) == nil {
			v.Merges = append(v.Merges, s)
			continue
		}
		var pair []string
		if err := json.Unmarshal(m, &pair); err != nil || len(pair) != 2 {
			return nil, fmt.Errorf("ollamafake: tokenizer.json: bad merge %s", m)
		}
		v.Merges = append(v.Merges, pair[0]+" "+pair[1])
	}
	return v, nil
}
