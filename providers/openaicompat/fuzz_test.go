package openaicompat

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

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
		`{"choices":[{"index":0,"delta":{"content":"\ud83d\ude00 \ud800 \u00e9\\u"}}],"usage":null}`,
		`{"choices":[{"index":1,"delta":{"content":"a"}}]}`,
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
		// Choices it would relay are, in any envelope, one choice that
		// reads as they decode: what encoding the chunk again would say.
		_, raw, _ := decodeTokenChunkRaw(data)
		if raw == nil {
			return
		}
		relayed := []byte(`{"id":"x","choices":` + string(raw) + `}`)
		var again struct {
			Choices []json.RawMessage `json:"choices"`
		}
		if !utf8.Valid(relayed) || json.Unmarshal(relayed, &again) != nil || len(again.Choices) != 1 {
			t.Fatalf("%q: relays %s", data, raw)
		}
		if re, _, err := decodeEventSlowly(relayed); err != nil || !reflect.DeepEqual(re, fast) || fast.FinishReason != "" {
			t.Fatalf("%q: relayed %s reads %+v (%v), decoded %+v", data, raw, re, err, fast)
		}
		if strings.ContainsRune(fast.Content+fast.Reasoning, utf8.RuneError) && !strings.ContainsRune(string(data), utf8.RuneError) && !bytes.Contains(bytes.ToLower(data), []byte(`\ufffd`)) {
			t.Fatalf("%q: relayed %s, which decodes with a replacement", data, raw)
		}
	})
}

// FuzzParseProm: any text read for two metrics gives only samples of
// those metrics, or an error; never a panic. What it reads, written back
// out in the exposition format, reads the same.
func FuzzParseProm(f *testing.F) {
	if b, err := os.ReadFile("testdata/vllm-metrics.txt"); err == nil {
		f.Add(b)
	}
	for _, s := range []string{
		"vllm:num_requests_running 1\nvllm:num_requests_waiting 2 1765000000000\n",
		`vllm:num_requests_running{model_name="a \"b\"\\c\n",engine="0",} 1e3` + "\n",
		"# HELP vllm:num_requests_running x\n\n  vllm:num_requests_waiting\t+Inf\n",
		`vllm:num_requests_running{model_name="m" 1`, `vllm:num_requests_running{=""} 1`, "vllm:num_requests_running NaN",
	} {
		f.Add([]byte(s))
	}
	names := []string{vllmRunning, vllmWaiting}
	f.Fuzz(func(t *testing.T, b []byte) {
		samples, err := parseProm(bytes.NewReader(b), names...)
		if err != nil {
			return
		}
		var out strings.Builder
		for _, s := range samples {
			if !slices.Contains(names, s.name) {
				t.Fatalf("%q: a sample of %q", b, s.name)
			}
			out.WriteString(s.name + "{")
			for _, l := range s.labels {
				v := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(l.value)
				out.WriteString(l.name + `="` + v + `",`)
			}
			out.WriteString("} " + strconv.FormatFloat(s.value, 'g', -1, 64) + "\n")
		}
		again, err := parseProm(strings.NewReader(out.String()), names...)
		if err != nil {
			t.Fatalf("%q read as %+v, which written out as %q does not read: %v", b, samples, out.String(), err)
		}
		if len(again) != len(samples) {
			t.Fatalf("%q: %d samples, %d when written out", b, len(samples), len(again))
		}
		for i := range again {
			a, s := again[i], samples[i]
			if a.name != s.name || !slices.Equal(a.labels, s.labels) || math.Float64bits(a.value) != math.Float64bits(s.value) && !(math.IsNaN(a.value) && math.IsNaN(s.value)) {
				t.Fatalf("%q: %+v written out reads as %+v", b, s, a)
			}
		}
	})
}
