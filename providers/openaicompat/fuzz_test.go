package openaicompat

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"testing"
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
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(make([]byte, 4096), 1<<20)
		st := &sseStream{p: p, body: io.NopCloser(bytes.NewReader(nil)), sc: sc}
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
