package openaicompat

import "testing"

// BenchmarkDecodeTokenChunk is the cost of reading one token's event, of
// which a streamed answer has one per token.
func BenchmarkDecodeTokenChunk(b *testing.B) {
	event := []byte(`{"choices":[{"finish_reason":null,"index":0,"delta":{"content":" parseDecimal"}}],"created":1765000000,"id":"chatcmpl-5ff3a1d2c4b8","model":"qwen3-coder","system_fingerprint":"b7000-fake","object":"chat.completion.chunk"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := decodeTokenChunk(event); !ok {
			b.Fatal("refused")
		}
	}
}
