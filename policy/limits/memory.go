// Package limits does the local model's arithmetic: how large a context
// window fits in memory, and how long a job will take to prefill and
// decode at the speeds measured so far. It is pure: no I/O, no logging.
package limits

import (
	"fmt"
	"strings"
)

// Bytes per KV-cache element for each OLLAMA_KV_CACHE_TYPE. q8_0 and q4_0
// are GGML block formats: 32 values in 34 and 18 bytes (ggml-common.h,
// block_q8_0 and block_q4_0).
var bytesPerElement = map[string]float64{
	"f16":  2,
	"q8_0": 34.0 / 32,
	"q4_0": 18.0 / 32,
}

// KVShape is what the KV cache's size depends on, from /api/show's
// model_info.
type KVShape struct {
	BlockCount  int
	HeadCountKV int
	// HeadCountKVPerLayer, when set, gives the KV heads of each layer
	// (models whose layers differ); it overrides HeadCountKV.
	HeadCountKVPerLayer []int
	KeyLength           int
	ValueLength         int
}

// KVBytesPerToken is block_count × head_count_kv × (key_length +
// value_length) × bytes per element. Qwen3-Coder-30B-A3B (48 blocks, 4 KV
// heads, 128+128) at f16: 98,304 bytes = 96 KiB.
func KVBytesPerToken(s KVShape, cacheType string) (int64, error) {
	bpe, ok := bytesPerElement[strings.ToLower(cacheType)]
	if cacheType == "" {
		bpe, ok = 2, true
	}
	if !ok {
		return 0, fmt.Errorf("unknown KV cache type %q (f16, q8_0, q4_0)", cacheType)
	}
	heads := 0
	if len(s.HeadCountKVPerLayer) > 0 {
		for _, h := range s.HeadCountKVPerLayer {
			heads += h
		}
	} else {
		heads = s.BlockCount * s.HeadCountKV
	}
	if heads <= 0 || s.KeyLength+s.ValueLength <= 0 {
		return 0, fmt.Errorf("the model's KV shape is unknown (block_count %d, head_count_kv %d, key/value length %d/%d)",
			s.BlockCount, s.HeadCountKV, s.KeyLength, s.ValueLength)
	}
	return int64(float64(heads*(s.KeyLength+s.ValueLength)) * bpe), nil
}

// Reserve is the memory kept for the system and everything else running:
// an eighth of the total, at least 2 GiB.
func Reserve(total int64) int64 {
	return max(total/8, 2<<30)
}

// Fit is the memory arithmetic for one window.
type Fit struct {
	// Window is the window switchyard will use.
	Window int
	// Native is the model's own context length; Configured the
	// context_window setting (0 = automatic).
	Native, Configured int
	KVPerToken         int64
	KVBytes            int64
	Weights            int64
	// Budget is the memory the model may use, less the reserve.
	Memory, Reserve, Budget int64
	// Fits says whether Window's KV cache plus the weights fit the budget.
	Fits bool
	// Capped is true when the native window did not fit and Window is the
	// largest that does.
	Capped bool
}

// Need is the memory Window needs: weights plus its KV cache.
func (f Fit) Need() int64 { return f.Weights + f.KVBytes }

// Explain is the arithmetic in one sentence.
func (f Fit) Explain() string {
	s := fmt.Sprintf("%s weights + %s KV cache (%d tokens × %s) = %s against %s usable (%s less %s reserve)",
		gib(f.Weights), gib(f.KVBytes), f.Window, kib(f.KVPerToken), gib(f.Need()), gib(f.Budget), gib(f.Memory), gib(f.Reserve))
	if f.Capped {
		s += fmt.Sprintf("; the native %d tokens would need %s", f.Native, gib(f.Weights+int64(f.Native)*f.KVPerToken))
	}
	return s
}

// WindowFor chooses the window: configured if non-zero (used as given,
// Fits says whether it fits); else the native length if it fits in memory;
// else the largest multiple of 1024 tokens that does. kvPerToken 0 (shape
// unknown) or memory 0 skips the memory check.
func WindowFor(native, configured int, kvPerToken, weights, memory int64) Fit {
	f := Fit{Native: native, Configured: configured, KVPerToken: kvPerToken, Weights: weights, Memory: memory}
	if memory > 0 {
		f.Reserve = Reserve(memory)
		f.Budget = memory - f.Reserve
	}
	f.Window = configured
	if f.Window == 0 {
		f.Window = native
	}
	f.KVBytes = int64(f.Window) * kvPerToken
	if kvPerToken <= 0 || memory <= 0 {
		f.Fits = true
		return f
	}
	f.Fits = f.Need() <= f.Budget
	if f.Fits || configured != 0 {
		return f
	}
	room := f.Budget - weights
	w := 0
	if room > 0 {
		w = int(room/kvPerToken) / 1024 * 1024
	}
	f.Window, f.Capped = min(w, native), true
	f.KVBytes = int64(f.Window) * kvPerToken
	f.Fits = f.Window > 0
	return f
}

func gib(b int64) string { return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30)) }
func kib(b int64) string { return fmt.Sprintf("%.0f KiB", float64(b)/(1<<10)) }
