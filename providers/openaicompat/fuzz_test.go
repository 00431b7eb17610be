package openaicompat

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"testing"

	"github.com/switchyard/switchyard/providers/internal/lines"
)

// FuzzSSE: any byte stream read as chat.completion.chunk events ends in
// io.EOF only after a finish reason; otherwise in an error; never a panic
// or a hang.
func FuzzSSE(f *testing.F) {
	f.Add([]byte("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"))
	f.Add([]byte("data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}}]}\n\n"))
	f.Add([]byte(": keep-alive\n\ndata: {\"error\":{\"message\":\"x\"}}\n\n"))
	f.Add([]byte("data: [DONE]\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := New(Options{Name: "fuzz", BaseURL: "http://127.0.0.1:1"})
		st := &sseStream{p: p, body: io.NopCloser(bytes.NewReader(nil)), lines: lines.New(bytes.NewReader(b))}
		sawFinish := false
		for i := 0; i < 1<<16; i++ {
			c, err := st.Next()
			if errors.Is(err, io.EOF) {
				if !sawFinish {
					t.Fatalf("EOF without a finish reason from %q", b)
				}
				return
			}
			if err != nil {
				return
			}
			if c.FinishReason != "" {
				sawFinish = true
			}
		}
		t.Fatalf("no end after 65536 chunks from %q", b)
	})
}

// FuzzDecodeTokenChunk: an event decodeTokenChunk accepts gives the chunk
// decodeEvent's json.Unmarshal path gives it.
func FuzzDecodeTokenChunk(f *testing.F) {
	for _, s := range []string{
		`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1765000000,"model":"qwen","system_fingerprint":"b7000","choices":[{"index":0,"delta":{"content":"Hel"},"logprobs":null,"finish_reason":null}]}`,
		`{"choices":[{"finish_reason":null,"index":0,"delta":{"role":"assistant","content":null}}],"created":1,"id":"x","model":"m","object":"chat.completion.chunk"}`,
		`{"choices":[{"index":0,"delta":{"reasoning_content":"think \"a\"\u00e9"},"finish_reason":null}]}`,
		`{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`,
		`{"choices":[{"index":0,"delta":{},"finish_reason":"length"}],"usage":{"prompt_tokens":3,"completion_tokens":1}}`,
		`{"choices":[]}`, `{"choices":null}`, `{"choices":[{"delta":null}]}`,
		`{"choices":[{"delta":{"content":"a"}},{"delta":{"content":"b"}}]}`,
		`{"choices":[{"delta":{"content":"a"}}],"choices":[{"index":0}]}`,
		`{"choices":[{"delta":{"content":"a"},"delta":{"role":"assistant"}}]}`,
		`{"choices":[{"delta":{"content":"a"},"finish_reason":"stop","finish_reason":null}]}`,
		`{"created":1.5}`, `{"created":01}`, `{"Choices":[]}`, `{"error":{"message":"x"}}`,
		"{\"choices\":[{\"delta\":{\"content\":\"\xff\"}}]}", `{}`, `{}x`, `[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, ok := decodeTokenChunk(data)
		if !ok {
			return
		}
		var ev struct {
			Error *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(data, &ev) != nil || ev.Error != nil {
			t.Fatalf("%q: accepted, but it is not a chunk", data)
		}
		// decodeEvent takes the fast path first; hide it to get the slow
		// one's answer.
		slow, msg, err := decodeEventSlowly(data)
		if err != nil || msg != nil {
			t.Fatalf("%q: accepted, but json.Unmarshal says %v %v", data, err, msg)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%q:\nfast %+v\nslow %+v", data, fast, slow)
		}
	})
}
