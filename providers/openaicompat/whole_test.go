package openaicompat

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/chat"
)

// TestDecodeWhole: the whole answers of llama.cpp's server (its timings
// beside the usage; tools/server/README.md, "POST /v1/chat/completions")
// and of vLLM (its null members; vllm/entrypoints/openai/protocol.py,
// ChatCompletionResponse), reconstructed in testdata from those sources,
// are read without encoding/json, to the chunk encoding/json reads.
func TestDecodeWhole(t *testing.T) {
	for file, want := range map[string]chat.Chunk{
		"llamacpp-whole.json": {Content: "Renamed parseCount to parseDecimal in 3 files.", FinishReason: chat.FinishStop,
			Usage: &chat.Usage{PromptTokens: 2048, CompletionTokens: 12, CachedTokens: 1920, PromptDuration: 231400 * time.Microsecond}},
		"vllm-whole.json": {Content: "Renamed parseCount to parseDecimal in 3 files.", FinishReason: chat.FinishStop,
			Usage: &chat.Usage{PromptTokens: 2048, CompletionTokens: 12, CachedTokens: 1920}},
	} {
		body, err := os.ReadFile("testdata/" + file)
		if err != nil {
			t.Fatal(err)
		}
		fast, ok := decodeWhole(body)
		if !ok {
			t.Errorf("%s: left to encoding/json", file)
		}
		slow, err := decodeWholeSlowly(body)
		if err != nil || !reflect.DeepEqual(fast, slow) || !reflect.DeepEqual(fast, want) {
			t.Errorf("%s:\nfast %+v %+v\nslow %+v %+v (%v)\nwant %+v %+v", file, fast, fast.Usage, slow, slow.Usage, err, want, want.Usage)
		}
	}
}

// FuzzDecodeWhole: an answer decodeWhole reads, decodeWholeSlowly reads
// to the same chunk.
func FuzzDecodeWhole(f *testing.F) {
	for _, file := range []string{"llamacpp-whole.json", "vllm-whole.json"} {
		b, err := os.ReadFile("testdata/" + file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		`{"choices":[{"message":{"content":"a"}}]}`,
		`{"choices":[{"message":{"content":"a","Content":"b"}}]}`,
		`{"choices":[{"message":{"content":null,"reasoning_content":"r"},"finish_reason":"length"}],"usage":null}`,
		`{"choices":[{"message":{"content":"a"}}],"Choices":null}`,
		`{"choices":[{"message":{"content":"a"},"message":{"role":"x"}}]}`,
		`{"choices":[{"message":{"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]}}]}`,
		`{"choices":[{"message":{"content":"a"}}],"timings":{"cache_n":null,"prompt_n":1,"prompt_ms":1e999}}`,
		`{"choices":[{"message":{"content":"a"}}],"usage":{"prompt_tokens":1.5}}`,
		`{"choices":[{"message":{"content":"a"}}],"usage":{"prompt_tokens_details":{"cached_tokens":1},"prompt_tokens_details":{"audio_tokens":2}}}`,
		`{"choices":[],"x":1}`, `{"choices":[{},{}]}`, `{"extra":[1]}`, `{"kelvin_\u212a":1}`, `[]`, `{}x`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, ok := decodeWhole(body)
		if !ok {
			return
		}
		slow, err := decodeWholeSlowly(body)
		if err != nil {
			t.Fatalf("%q: read %+v, but encoding/json says %v", body, fast, err)
		}
		if !reflect.DeepEqual(fast, slow) {
			fu, su := "", ""
			if fast.Usage != nil {
				b, _ := json.Marshal(fast.Usage)
				fu = string(b)
			}
			if slow.Usage != nil {
				b, _ := json.Marshal(slow.Usage)
				su = string(b)
			}
			t.Fatalf("%q:\nfast %+v %s\nslow %+v %s", body, fast, fu, slow, su)
		}
		if strings.Contains(string(body), "tool_calls\":[{") {
			t.Fatalf("%q: read tool calls", body)
		}
	})
}
