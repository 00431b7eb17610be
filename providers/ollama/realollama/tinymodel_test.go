package realollama

import (
	"crypto/sha256"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// qwen2Replacements is Ollama 0.17.4's tensor renaming for Qwen2
// checkpoints (convert/convert_qwen2.go Replacements), applied in order
// like a strings.Replacer.
var qwen2Replacements = strings.NewReplacer(
	"lm_head", "output",
	"model.embed_tokens", "token_embd",
	"model.layers", "blk",
	"input_layernorm", "attn_norm",
	"self_attn.k_proj", "attn_k",
	"self_attn.v_proj", "attn_v",
	"self_attn.q_proj", "attn_q",
	"self_attn.o_proj", "attn_output",
	"mlp.down_proj", "ffn_down",
	"mlp.gate_proj", "ffn_gate",
	"mlp.up_proj", "ffn_up",
	"post_attention_layernorm", "ffn_norm",
	"model.norm", "output_norm",
)

// ggufShapes lists what Ollama's qwen2 model loads (model/models/qwen2/
// model.go gguf tags) with shapes in checkpoint order [out, in], for the
// tiny config: hidden 64, 4 heads of 16, 2 KV heads, FFN 128.
func ggufShapes(c ModelConfig) map[string][]int {
	kv := c.KVHeads * c.HiddenSize / c.Heads
	m := map[string][]int{
		"token_embd.weight":  {c.VocabSize, c.HiddenSize},
		"output_norm.weight": {c.HiddenSize},
	}
	for l := range c.Layers {
		p := "blk." + string(rune('0'+l)) + "."
		for name, shape := range map[string][]int{
			"attn_norm.weight":   {c.HiddenSize},
			"attn_q.weight":      {c.HiddenSize, c.HiddenSize},
			"attn_q.bias":        {c.HiddenSize},
			"attn_k.weight":      {kv, c.HiddenSize},
			"attn_k.bias":        {kv},
			"attn_v.weight":      {kv, c.HiddenSize},
			"attn_v.bias":        {kv},
			"attn_output.weight": {c.HiddenSize, c.HiddenSize},
			"ffn_norm.weight":    {c.HiddenSize},
			"ffn_gate.weight":    {c.IntermediateSize, c.HiddenSize},
			"ffn_up.weight":      {c.IntermediateSize, c.HiddenSize},
			"ffn_down.weight":    {c.HiddenSize, c.IntermediateSize},
		} {
			m[p+name] = shape
		}
	}
	return m
}

func TestTensorsAreWhatOllamasQwen2Loads(t *testing.T) {
	c := TinyModelConfig()
	want := ggufShapes(c)
	got := map[string][]int{}
	for _, ts := range c.tensors() {
		got[qwen2Replacements.Replace(ts.name)] = ts.shape
	}
	for name, shape := range want {
		if g, ok := got[name]; !ok {
			t.Errorf("missing %s", name)
		} else if !equalInts(g, shape) {
			t.Errorf("%s: shape %v, want %v", name, g, shape)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("unexpected tensor %s", name)
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestWeightsFollowTransformersInit(t *testing.T) {
	c := TinyModelConfig()
	for _, ts := range c.tensors() {
		var n, sum, sq float64
		for v := range ts.values {
			n++
			sum += float64(v)
			sq += float64(v) * float64(v)
		}
		mean, std := sum/n, math.Sqrt(sq/n-(sum/n)*(sum/n))
		switch {
		case strings.HasSuffix(ts.name, "norm.weight"):
			if mean != 1 || std != 0 {
				t.Errorf("%s: mean %g std %g, want ones", ts.name, mean, std)
			}
		case strings.HasSuffix(ts.name, ".bias"):
			if mean != 0 || std != 0 {
				t.Errorf("%s: mean %g std %g, want zeros", ts.name, mean, std)
			}
		default:
			// 4096+ draws: the sample std is within 10% of 0.02.
			if math.Abs(mean) > 0.002 || math.Abs(std-initializerRange) > 0.002 {
				t.Errorf("%s: mean %g std %g, want N(0, %g)", ts.name, mean, std, initializerRange)
			}
		}
	}
}

func TestModelConfigValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*ModelConfig)
		want string
	}{
		{"tiny-is-valid", func(*ModelConfig) {}, ""},
		{"zero-layers", func(c *ModelConfig) { c.Layers = 0 }, "Layers must be positive"},
		{"heads-do-not-divide-hidden", func(c *ModelConfig) { c.Heads = 5 }, "not a multiple of Heads"},
		{"kv-heads-do-not-divide-heads", func(c *ModelConfig) { c.KVHeads = 3 }, "not a multiple of KVHeads"},
		{"vocab-misses-special-tokens", func(c *ModelConfig) { c.VocabSize = 151643 }, "special tokens"},
		{"no-rope-theta", func(c *ModelConfig) { c.RopeTheta = 0 }, "RopeTheta"},
		{"negative-context", func(c *ModelConfig) { c.MaxPositionEmbeddings = -1 }, "MaxPositionEmbeddings must be positive"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := TinyModelConfig()
			c.edit(&cfg)
			err := cfg.validate()
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want one containing %q", err, c.want)
			}
		})
	}
}

func hashDir(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	sums := map[string][32]byte{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		sums[e.Name()] = sha256.Sum256(b)
	}
	return sums
}

func TestWriteModelDirIsDeterministic(t *testing.T) {
	c := TinyModelConfig()
	c.HiddenSize, c.Heads, c.KVHeads, c.IntermediateSize = 8, 2, 1, 16 // a smaller file, same rules
	a, b := t.TempDir(), t.TempDir()
	for _, d := range []string{a, b} {
		if err := WriteModelDir(d, c); err != nil {
			t.Fatal(err)
		}
	}
	ha, hb := hashDir(t, a), hashDir(t, b)
	for _, f := range []string{"config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"} {
		if _, ok := ha[f]; !ok {
			t.Errorf("%s not written", f)
		} else if ha[f] != hb[f] {
			t.Errorf("%s differs between two runs with seed %d", f, c.Seed)
		}
	}

	c.Seed++
	d := t.TempDir()
	if err := WriteModelDir(d, c); err != nil {
		t.Fatal(err)
	}
	if hashDir(t, d)["model.safetensors"] == ha["model.safetensors"] {
		t.Error("a different seed wrote the same weights")
	}
}

func TestWriteModelDirConfigIsWhatOllamaReads(t *testing.T) {
	dir := t.TempDir()
	c := TinyModelConfig()
	if err := WriteModelDir(dir, c); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	// The keys Ollama's converter reads (convert/convert.go
	// ModelParameters, convert/convert_qwen2.go qwen2Model).
	var got struct {
		Architectures         []string  `json:"architectures"`
		VocabSize             uint32    `json:"vocab_size"`
		MaxPositionEmbeddings uint32    `json:"max_position_embeddings"`
		HiddenSize            uint32    `json:"hidden_size"`
		HiddenLayers          uint32    `json:"num_hidden_layers"`
		IntermediateSize      uint32    `json:"intermediate_size"`
		NumAttentionHeads     uint32    `json:"num_attention_heads"`
		NumKeyValueHeads      uint32    `json:"num_key_value_heads"`
		RopeTheta             float32   `json:"rope_theta"`
		RopeScaling           *struct{} `json:"rope_scaling"`
		RMSNormEPS            float32   `json:"rms_norm_eps"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Architectures) != 1 || got.Architectures[0] != "Qwen2ForCausalLM" {
		t.Errorf("architectures %v", got.Architectures)
	}
	if got.MaxPositionEmbeddings != 262144 || got.VocabSize != 151936 || got.HiddenSize != 64 ||
		got.HiddenLayers != 2 || got.NumAttentionHeads != 4 || got.NumKeyValueHeads != 2 ||
		got.IntermediateSize != 128 || got.RopeTheta != 1e7 || got.RMSNormEPS != 1e-6 {
		t.Errorf("config.json = %+v", got)
	}
	// A rope_scaling object with an unknown type makes the converter
	// panic ("unknown rope scaling type"); none must be written.
	if got.RopeScaling != nil {
		t.Error("config.json has rope_scaling")
	}
	st, err := os.ReadFile(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := readSafetensors(t, st)
	if len(entries) != len(c.tensors()) {
		t.Errorf("model.safetensors holds %d tensors, want %d", len(entries), len(c.tensors()))
	}
}
