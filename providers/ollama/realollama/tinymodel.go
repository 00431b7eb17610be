package realollama

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"iter"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// ModelConfig is the shape of a random-weight Qwen2-architecture model.
// Start from TinyModelConfig; the other values exist so tests can vary one
// dimension.
type ModelConfig struct {
	HiddenSize       int
	Layers           int
	Heads            int
	KVHeads          int
	IntermediateSize int
	// VocabSize is the embedding's row count. Qwen pads its 151,669 tokens
	// to 151,936 rows; Ollama's converter pads the token list to match
	// with "[PADn]" entries.
	VocabSize int
	// MaxPositionEmbeddings is the model's native context length; Ollama
	// reports it in /api/show as model_info["qwen2.context_length"].
	MaxPositionEmbeddings int
	RopeTheta             float64
	RMSNormEps            float64
	// Seed makes the weights reproducible: the same config always writes
	// byte-identical files.
	Seed uint64
}

// TinyModelConfig returns the model the integration rig serves: two layers
// of width 64 over Qwen's full vocabulary, 9.8M parameters (a 26 MB F16
// GGUF with the tokenizer once Ollama has converted it), natively 262,144
// tokens long like Qwen3-Coder-30B-A3B. RopeTheta and RMSNormEps are Qwen3-Coder's (its
// config.json).
func TinyModelConfig() ModelConfig {
	return ModelConfig{
		HiddenSize:            64,
		Layers:                2,
		Heads:                 4,
		KVHeads:               2,
		IntermediateSize:      128,
		VocabSize:             151936,
		MaxPositionEmbeddings: 262144,
		RopeTheta:             10_000_000,
		RMSNormEps:            1e-6,
		Seed:                  20260829,
	}
}

// The token ids of Qwen's special tokens, from tokenizer.json's added_tokens.
const (
	qwenEndOfText = 151643 // <|endoftext|>
	qwenIMEnd     = 151645 // <|im_end|>
)

func (c ModelConfig) validate() error {
	var errs []error
	for _, f := range []struct {
		name string
		v    int
	}{
		{"HiddenSize", c.HiddenSize}, {"Layers", c.Layers}, {"Heads", c.Heads},
		{"KVHeads", c.KVHeads}, {"IntermediateSize", c.IntermediateSize},
		{"VocabSize", c.VocabSize}, {"MaxPositionEmbeddings", c.MaxPositionEmbeddings},
	} {
		if f.v <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive, got %d", f.name, f.v))
		}
	}
	if c.Heads > 0 && c.HiddenSize%c.Heads != 0 {
		errs = append(errs, fmt.Errorf("HiddenSize %d is not a multiple of Heads %d", c.HiddenSize, c.Heads))
	}
	if c.KVHeads > 0 && c.Heads%c.KVHeads != 0 {
		errs = append(errs, fmt.Errorf("Heads %d is not a multiple of KVHeads %d", c.Heads, c.KVHeads))
	}
	if c.VocabSize > 0 && c.VocabSize <= qwenIMEnd {
		errs = append(errs, fmt.Errorf("VocabSize %d does not cover Qwen's special tokens (up to id %d)", c.VocabSize, qwenIMEnd))
	}
	if c.RopeTheta <= 0 || c.RMSNormEps <= 0 {
		errs = append(errs, fmt.Errorf("RopeTheta and RMSNormEps must be positive, got %g and %g", c.RopeTheta, c.RMSNormEps))
	}
	if len(errs) > 0 {
		return fmt.Errorf("realollama: model config: %w", errors.Join(errs...))
	}
	return nil
}

// hfConfig is config.json as transformers writes it for Qwen2ForCausalLM.
// Ollama 0.17.4 reads architectures, vocab_size and the fields of its
// qwen2Model (convert/convert_qwen2.go); the rest is there so the
// directory is a model transformers itself would load.
type hfConfig struct {
	Architectures         []string `json:"architectures"`
	ModelType             string   `json:"model_type"`
	VocabSize             int      `json:"vocab_size"`
	HiddenSize            int      `json:"hidden_size"`
	IntermediateSize      int      `json:"intermediate_size"`
	NumHiddenLayers       int      `json:"num_hidden_layers"`
	NumAttentionHeads     int      `json:"num_attention_heads"`
	NumKeyValueHeads      int      `json:"num_key_value_heads"`
	MaxPositionEmbeddings int      `json:"max_position_embeddings"`
	RopeTheta             float64  `json:"rope_theta"`
	RMSNormEps            float64  `json:"rms_norm_eps"`
	HiddenAct             string   `json:"hidden_act"`
	TieWordEmbeddings     bool     `json:"tie_word_embeddings"`
	UseSlidingWindow      bool     `json:"use_sliding_window"`
	InitializerRange      float64  `json:"initializer_range"`
	BOSTokenID            int      `json:"bos_token_id"`
	EOSTokenID            int      `json:"eos_token_id"`
	TorchDType            string   `json:"torch_dtype"`
}

// initializerRange is the standard deviation transformers' Qwen2 uses for
// fresh Linear and Embedding weights (Qwen2PreTrainedModel._init_weights).
const initializerRange = 0.02

func (c ModelConfig) hfConfig() hfConfig {
	return hfConfig{
		Architectures:         []string{"Qwen2ForCausalLM"},
		ModelType:             "qwen2",
		VocabSize:             c.VocabSize,
		HiddenSize:            c.HiddenSize,
		IntermediateSize:      c.IntermediateSize,
		NumHiddenLayers:       c.Layers,
		NumAttentionHeads:     c.Heads,
		NumKeyValueHeads:      c.KVHeads,
		MaxPositionEmbeddings: c.MaxPositionEmbeddings,
		RopeTheta:             c.RopeTheta,
		RMSNormEps:            c.RMSNormEps,
		HiddenAct:             "silu",
		// Tied: no lm_head tensor. Ollama's qwen2 takes the output
		// projection from token_embd when "output" is absent
		// (model/models/qwen2/model.go `gguf:"output,alt:token_embd"`),
		// which halves the model.
		TieWordEmbeddings: true,
		InitializerRange:  initializerRange,
		BOSTokenID:        qwenEndOfText,
		EOSTokenID:        qwenIMEnd,
		// F32 on disk: Ollama's converter narrows every 2-D tensor to F16
		// and keeps 1-D ones F32 (convert/reader.go tensorBase.Kind), the
		// same path an F32 Hugging Face checkpoint takes.
		TorchDType: "float32",
	}
}

// tensors lists the checkpoint in transformers' names, which Ollama's
// qwen2 converter renames to GGUF's (convert/convert_qwen2.go
// Replacements). Weights are drawn as transformers initializes a fresh
// Qwen2: Linear and Embedding N(0, 0.02), biases zero, RMSNorm ones. Each
// tensor has its own random stream keyed by its name, so its values do not
// depend on the order of the others.
func (c ModelConfig) tensors() []stTensor {
	headDim := c.HiddenSize / c.Heads
	kvDim := c.KVHeads * headDim
	normal := func(name string, shape ...int) stTensor {
		n := 1
		for _, d := range shape {
			n *= d
		}
		return stTensor{name: name, shape: shape, values: c.normalValues(name, n)}
	}
	constant := func(name string, v float32, shape ...int) stTensor {
		return stTensor{name: name, shape: shape, values: constantValues(v, shape[0])}
	}

	ts := []stTensor{normal("model.embed_tokens.weight", c.VocabSize, c.HiddenSize)}
	for l := range c.Layers {
		p := fmt.Sprintf("model.layers.%d.", l)
		ts = append(ts,
			constant(p+"input_layernorm.weight", 1, c.HiddenSize),
			normal(p+"self_attn.q_proj.weight", c.HiddenSize, c.HiddenSize),
			constant(p+"self_attn.q_proj.bias", 0, c.HiddenSize),
			normal(p+"self_attn.k_proj.weight", kvDim, c.HiddenSize),
			constant(p+"self_attn.k_proj.bias", 0, kvDim),
			normal(p+"self_attn.v_proj.weight", kvDim, c.HiddenSize),
			constant(p+"self_attn.v_proj.bias", 0, kvDim),
			normal(p+"self_attn.o_proj.weight", c.HiddenSize, c.HiddenSize),
			constant(p+"post_attention_layernorm.weight", 1, c.HiddenSize),
			normal(p+"mlp.gate_proj.weight", c.IntermediateSize, c.HiddenSize),
			normal(p+"mlp.up_proj.weight", c.IntermediateSize, c.HiddenSize),
			normal(p+"mlp.down_proj.weight", c.HiddenSize, c.IntermediateSize),
		)
	}
	return append(ts, constant("model.norm.weight", 1, c.HiddenSize))
}

// normalValues yields n draws from N(0, initializerRange) from the stream
// keyed by name.
func (c ModelConfig) normalValues(name string, n int) iter.Seq[float32] {
	h := fnv.New64a()
	h.Write([]byte(name))
	stream := h.Sum64()
	return func(yield func(float32) bool) {
		r := rand.New(rand.NewPCG(c.Seed, stream))
		for range n {
			if !yield(float32(r.NormFloat64() * initializerRange)) {
				return
			}
		}
	}
}

func constantValues(v float32, n int) iter.Seq[float32] {
	return func(yield func(float32) bool) {
		for range n {
			if !yield(v) {
				return
			}
		}
	}
}

// generationConfig is Qwen3-Coder-30B-A3B-Instruct's generation_config.json.
// Ollama's converter reads eos_token_id from it into
// tokenizer.ggml.eos_token_ids (convert/tokenizer.go parseTokenizer).
var generationConfig = map[string]any{
	"bos_token_id":       qwenEndOfText,
	"eos_token_id":       []int{qwenIMEnd, qwenEndOfText},
	"pad_token_id":       qwenEndOfText,
	"do_sample":          true,
	"temperature":        0.7,
	"top_p":              0.8,
	"top_k":              20,
	"repetition_penalty": 1.05,
}

// WriteModelDir writes a Hugging Face style model directory that
// `ollama create` imports: config.json, model.safetensors,
// generation_config.json, and the Qwen3 tokenizer.json and
// tokenizer_config.json found by Qwen3Tokenizer. dir must exist.
func WriteModelDir(dir string, c ModelConfig) error {
	if err := c.validate(); err != nil {
		return err
	}
	tok, err := Qwen3Tokenizer()
	if err != nil {
		return err
	}
	tokConfig, err := tok.ollamaTokenizerConfig()
	if err != nil {
		return err
	}
	files := []struct {
		name string
		v    any
	}{
		{"config.json", c.hfConfig()},
		{"generation_config.json", generationConfig},
	}
	for _, f := range files {
		js, err := json.MarshalIndent(f.v, "", "  ")
		if err != nil {
			return fmt.Errorf("realollama: %s: %w", f.name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.name), append(js, '\n'), 0o644); err != nil {
			return fmt.Errorf("realollama: %w", err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), tok.JSON, 0o644); err != nil {
		return fmt.Errorf("realollama: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), tokConfig, 0o644); err != nil {
		return fmt.Errorf("realollama: %w", err)
	}
	return writeWeights(filepath.Join(dir, "model.safetensors"), c)
}

func writeWeights(path string, c ModelConfig) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("realollama: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("realollama: %w", cerr)
		}
	}()
	if err := writeSafetensors(f, c.tensors(), map[string]string{"format": "pt"}); err != nil {
		return fmt.Errorf("realollama: %s: %w", filepath.Base(path), err)
	}
	return nil
}
