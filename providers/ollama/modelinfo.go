package ollama

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ModelInfo is what switchyard knows about the configured model, as Ollama
// reported it at RefreshedAt. Zero values mean Ollama did not say.
type ModelInfo struct {
	// Model is the configured model name, e.g. "qwen3-coder:30b".
	Model string
	// Architecture is model_info["general.architecture"], e.g. "qwen3moe".
	Architecture string
	// NativeContext is model_info["<arch>.context_length"], the window the
	// model was trained for.
	NativeContext int
	// DefinitionNumCtx is PARAMETER num_ctx from the model definition
	// (/api/show "parameters"); 0 when the definition sets none.
	DefinitionNumCtx int
	// NumCtx is the window switchyard sends as options.num_ctx.
	NumCtx int
	// KV is the shape of the model's KV cache.
	KV KVShape
	// Capabilities are Ollama's, e.g. "completion", "tools", "thinking".
	Capabilities []string
	// Family, ParameterSize ("30.5B") and Quantization ("Q4_K_M") are from
	// /api/show details.
	Family, ParameterSize, Quantization string
	// Parameters are the definition's parameters, values unquoted; list
	// parameters such as stop have one value per line of the definition.
	Parameters map[string][]string
	// Template is the definition's Go chat template; Renderer names the
	// renderer built into Ollama that it uses instead ("qwen3-coder"), and
	// Parser the built-in output parser. System and Messages are the
	// definition's SYSTEM and MESSAGEs, which Ollama adds to every chat.
	// Together they decide the prompt Ollama renders (server/prompt.go).
	Template, Renderer, Parser, System string
	Messages                           []DefinitionMessage
	// WeightsBytes is the model's size in /api/tags.
	WeightsBytes int64
	// Digest is the model's digest in /api/tags.
	Digest string
	// ModifiedAt is when the model was last pulled or created.
	ModifiedAt time.Time
	// Version is Ollama's version (/api/version).
	Version string
	// Loaded says whether /api/ps listed the model; LoadedContext is the
	// window it was allocated with, LoadedBytes and LoadedVRAMBytes its
	// memory in total and on the GPU.
	Loaded                       bool
	LoadedContext                int
	LoadedBytes, LoadedVRAMBytes int64
	// RefreshedAt is when this was read.
	RefreshedAt time.Time
}

// Thinks reports whether the model has the thinking capability, so that
// reasoning_effort may be passed as think.
func (m ModelInfo) Thinks() bool { return m.HasCapability("thinking") }

// HasCapability reports whether Ollama lists capability c for the model.
func (m ModelInfo) HasCapability(c string) bool { return slices.Contains(m.Capabilities, c) }

// DefinitionMessage is a MESSAGE of a model definition.
type DefinitionMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// KVShape is the geometry of a model's KV cache, from GGUF metadata
// (model_info["<arch>.*"]).
type KVShape struct {
	// BlockCount is the number of layers.
	BlockCount int
	// HeadCount and HeadCountKV are attention and key/value heads. When the
	// GGUF gives head_count_kv per layer, HeadCountKV is the largest and
	// HeadCountKVPerLayer holds them all.
	HeadCount, HeadCountKV int
	HeadCountKVPerLayer    []int
	// KeyLength and ValueLength are per-head sizes; absent from the GGUF,
	// they default to EmbeddingLength/HeadCount as llama.cpp's
	// n_embd_head_k does.
	KeyLength, ValueLength int
	EmbeddingLength        int
}

// ElementsPerToken is how many cache elements one token occupies across
// all layers: the sum over layers of head_count_kv × (key_length +
// value_length). Multiply by the cache type's bytes per element (2 for f16)
// for bytes. 0 when the shape is unknown.
func (k KVShape) ElementsPerToken() int64 {
	per := int64(k.KeyLength + k.ValueLength)
	if len(k.HeadCountKVPerLayer) > 0 {
		var n int64
		for _, h := range k.HeadCountKVPerLayer {
			n += int64(h) * per
		}
		return n
	}
	return int64(k.BlockCount) * int64(k.HeadCountKV) * per
}

// showResponse is the part of /api/show's ShowResponse switchyard reads.
type showResponse struct {
	Parameters string              `json:"parameters"`
	Modelfile  string              `json:"modelfile"`
	Template   string              `json:"template"`
	Renderer   string              `json:"renderer"`
	Parser     string              `json:"parser"`
	System     string              `json:"system"`
	Messages   []DefinitionMessage `json:"messages"`
	Details    struct {
		Family            string `json:"family"`
		ParameterSize     string `json:"parameter_size"`
		QuantizationLevel string `json:"quantization_level"`
	} `json:"details"`
	ModelInfo    map[string]json.RawMessage `json:"model_info"`
	Capabilities []string                   `json:"capabilities"`
	ModifiedAt   time.Time                  `json:"modified_at"`
}

// listEntry is one model in /api/tags (ListModelResponse) or /api/ps
// (ProcessModelResponse); context_length and size_vram only in the latter.
type listEntry struct {
	Name          string    `json:"name"`
	Model         string    `json:"model"`
	Size          int64     `json:"size"`
	Digest        string    `json:"digest"`
	ModifiedAt    time.Time `json:"modified_at"`
	SizeVRAM      int64     `json:"size_vram"`
	ContextLength int       `json:"context_length"`
}

type listResponse struct {
	Models []listEntry `json:"models"`
}

// fromShow fills what /api/show says.
func (m *ModelInfo) fromShow(s *showResponse) {
	m.Family = s.Details.Family
	m.ParameterSize = s.Details.ParameterSize
	m.Quantization = s.Details.QuantizationLevel
	m.Capabilities = s.Capabilities
	m.ModifiedAt = s.ModifiedAt
	m.Parameters = parseParameters(s.Parameters)
	m.Template, m.Renderer, m.Parser, m.System = s.Template, s.Renderer, s.Parser, s.System
	m.Messages = s.Messages
	// Ollama 0.17.4 declares renderer and parser in ShowResponse but never
	// fills them (server/routes.go GetModelInfo); they are in the
	// modelfile it writes, as RENDERER and PARSER lines (server/images.go).
	if m.Renderer == "" {
		m.Renderer = modelfileCommand(s.Modelfile, "RENDERER")
	}
	if m.Parser == "" {
		m.Parser = modelfileCommand(s.Modelfile, "PARSER")
	}
	if v := m.Parameters["num_ctx"]; len(v) > 0 {
		m.DefinitionNumCtx, _ = strconv.Atoi(v[len(v)-1])
	}
	var arch string
	_ = json.Unmarshal(s.ModelInfo["general.architecture"], &arch)
	m.Architecture = arch
	num := func(key string) int { return jsonInt(s.ModelInfo[arch+"."+key]) }
	m.NativeContext = num("context_length")
	kv := KVShape{
		BlockCount:      num("block_count"),
		HeadCount:       num("attention.head_count"),
		KeyLength:       num("attention.key_length"),
		ValueLength:     num("attention.value_length"),
		EmbeddingLength: num("embedding_length"),
	}
	if per := jsonInts(s.ModelInfo[arch+".attention.head_count_kv"]); len(per) > 0 {
		kv.HeadCountKVPerLayer = per
		kv.HeadCountKV = slices.Max(per)
	} else {
		kv.HeadCountKV = num("attention.head_count_kv")
	}
	if kv.HeadCountKV == 0 {
		// llama.cpp: n_head_kv defaults to n_head (no GQA).
		kv.HeadCountKV = kv.HeadCount
	}
	if kv.HeadCount > 0 {
		if kv.KeyLength == 0 {
			kv.KeyLength = kv.EmbeddingLength / kv.HeadCount
		}
		if kv.ValueLength == 0 {
			kv.ValueLength = kv.EmbeddingLength / kv.HeadCount
		}
	}
	m.KV = kv
}

// parseParameters reads /api/show "parameters": one parameter a line,
// written by server/routes.go as fmt.Sprintf("%-30s %#v", key, value), so a
// key, a run of spaces, and a Go-syntax value (strings quoted). A list
// parameter repeats its key.
func parseParameters(s string) map[string][]string {
	out := make(map[string][]string)
	for line := range strings.Lines(s) {
		line = strings.TrimSpace(line)
		key, val, ok := strings.Cut(line, " ")
		if !ok || key == "" {
			continue
		}
		val = strings.TrimSpace(val)
		if strings.HasPrefix(val, `"`) {
			if u, err := strconv.Unquote(val); err == nil {
				val = u
			}
		}
		out[key] = append(out[key], val)
	}
	return out
}

// modelfileCommand returns the argument of the last line of modelfile
// that starts with the command name, e.g. "RENDERER qwen3-coder". Ollama
// writes such commands after TEMPLATE and SYSTEM (server/images.go), so the
// last line is the command even if a template quotes one; an argument
// with spaces or newlines would be quoted (parser/parser.go quote), which
// renderer and parser names never need.
func modelfileCommand(modelfile, name string) string {
	var arg string
	for line := range strings.Lines(modelfile) {
		if rest, ok := strings.CutPrefix(strings.TrimRight(line, "\r\n"), name+" "); ok {
			arg = strings.TrimSpace(rest)
		}
	}
	return arg
}

// jsonInt reads a JSON number as an int; 0 when absent or not a number.
func jsonInt(raw json.RawMessage) int {
	var f float64
	if json.Unmarshal(raw, &f) != nil {
		return 0
	}
	return int(f)
}

// jsonInts reads a JSON array of numbers; nil for anything else.
func jsonInts(raw json.RawMessage) []int {
	var fs []float64
	if json.Unmarshal(raw, &fs) != nil || len(fs) == 0 {
		return nil
	}
	out := make([]int, len(fs))
	for i, f := range fs {
		out[i] = int(f)
	}
	return out
}

// canonicalName makes "qwen3-coder" and "qwen3-coder:latest" compare equal,
// as Ollama's model.ParseName fills in the "latest" tag.
func canonicalName(name string) string {
	name = strings.ToLower(strings.TrimSpace(name))
	last := name[strings.LastIndex(name, "/")+1:]
	if !strings.Contains(last, ":") {
		name += ":latest"
	}
	return name
}

// find returns the entry for model in a /api/tags or /api/ps list.
func (l *listResponse) find(model string) (listEntry, bool) {
	want := canonicalName(model)
	for _, e := range l.Models {
		if canonicalName(e.Name) == want || canonicalName(e.Model) == want {
			return e, true
		}
	}
	return listEntry{}, false
}
