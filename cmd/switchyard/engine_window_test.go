package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/providers/openaicompat/openaifake"
)

// A local engine counts a prompt with its own tokenizer, and refuses one
// over its window (llama.cpp: HTTP 400 exceed_context_size_error; vLLM:
// HTTP 400 BadRequestError, the output budget counted in). Here
// the engines' tokenizer makes a token of every byte, about three and a
// half times what switchyard estimates of the same code: a private job
// switchyard takes to fit an engine of 8192 tokens, well short of the
// half of its window at which it would ask the engine to count, is refused
// by the engine itself.

// windowJob is that job: 150 lines of code, about 10,200 bytes.
var windowJob = strings.Repeat("func handle(w http.ResponseWriter, r *http.Request) { serve(w, r) }\n", 150)

// engineShape is an engine the fakes take the shape of, and what its
// refusal of windowJob says on the small engine.
type engineShape struct {
	name   string
	window func(f *openaifake.Server, n int) *openaifake.Server
	says   []string
}

var windowShapes = []engineShape{
	{"llama.cpp", func(f *openaifake.Server, n int) *openaifake.Server { return f.LlamaCpp(n, 262144) },
		[]string{"request (10", "exceeds the available context size (8192 tokens)"}},
	{"vllm", func(f *openaifake.Server, n int) *openaifake.Server { return f.VLLM(n) },
		[]string{"You passed 10", "requested 100 output tokens", "context length is only 8192 tokens"}},
}

// windowFakes are the pool's two engines in the shape given, a small
// window and a big one, and a cloud that says neither, counting the way
// the test says.
func windowFakes(t *testing.T, shape engineShape) (small, big, cloud *openaifake.Server, urls [3]string) {
	t.Helper()
	small = shape.window(openaifake.New("qwen3-coder"), 8192).BytesPerToken(1)
	big = shape.window(openaifake.New("qwen3-coder"), 32768).BytesPerToken(1)
	cloud = openaifake.New("gpt-cloud")
	for i, f := range []*openaifake.Server{small, big, cloud} {
		srv := httptest.NewServer(f)
		t.Cleanup(srv.Close)
		urls[i] = srv.URL + "/v1"
	}
	return small, big, cloud, urls
}

// windowConfig is a configuration of the small engine (predicted the
// faster, so tried first), the big one when withBig, pooled, and the cloud.
func windowConfig(urls [3]string, withBig bool) string {
	yaml := "providers:\n" +
		"  - name: small\n    kind: openai\n    local: true\n    model: qwen3-coder\n    base_url: " + urls[0] + "\n    prefill_tokens_per_second: 50000\n"
	members := "[small]"
	if withBig {
		yaml += "  - name: big\n    kind: openai\n    local: true\n    model: qwen3-coder\n    base_url: " + urls[1] + "\n    prefill_tokens_per_second: 5000\n"
		members = "[small, big]"
	}
	return yaml + "  - name: rented\n    kind: openai\n    model: gpt-cloud\n    base_url: " + urls[2] + "\n    context_window: 400000\n" +
		"pools:\n  - name: office\n    members: " + members + "\n" +
		"policy:\n  default_privacy: private\n"
}

// postWindowJob sends windowJob in a chat completions request, whole and
// streamed each a conversation of its own (a conversation's next turn
// would rightly go where the last was served).
func postWindowJob(t *testing.T, base string, stream bool) (*http.Response, []byte) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"model": "auto", "max_tokens": 100, "stream": stream,
		"messages": []map[string]string{{"role": "user", "content": "fix this (stream " + strconv.FormatBool(stream) + "):\n" + windowJob}}})
	resp, err := http.Post(base+"/v1/chat/completions", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// checkEstimateFits fails the test unless switchyard's estimate of the
// job, and its output, fit the small engine short of the point where the
// engine would be asked to count: the refusal must be the engine's.
func checkEstimateFits(t *testing.T, resp *http.Response) {
	t.Helper()
	estimated, err := strconv.Atoi(resp.Header.Get("X-Switchyard-Estimated-Tokens"))
	if err != nil || estimated+100 >= 8192/2 {
		t.Fatalf("switchyard estimated %q tokens: the job must fit the small engine by its estimate, uncounted", resp.Header.Get("X-Switchyard-Estimated-Tokens"))
	}
}

// TestEngineRefusalFallsBackInThePool: the small engine refuses the
// private job before its first byte; it goes to the other pool member,
// whose window holds it, whole and streamed, and never to the cloud.
func TestEngineRefusalFallsBackInThePool(t *testing.T) {
	for _, shape := range windowShapes {
		t.Run(shape.name, func(t *testing.T) { fallsBackInThePool(t, shape) })
	}
}

func fallsBackInThePool(t *testing.T, shape engineShape) {
	small, big, cloud, urls := windowFakes(t, shape)
	a := buildYAML(t, windowConfig(urls, true))
	sy := httptest.NewServer(a.router)
	defer sy.Close()
	for i, stream := range []bool{false, true} {
		resp, b := postWindowJob(t, sy.URL, stream)
		checkEstimateFits(t, resp)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Switchyard-Route") != "big" || !bytes.Contains(b, []byte("You said")) {
			t.Fatalf("stream %v: HTTP %d via %q (fallback %q): %.400s", stream, resp.StatusCode,
				resp.Header.Get("X-Switchyard-Route"), resp.Header.Get("X-Switchyard-Fallback"), b)
		}
		if fb := resp.Header.Get("X-Switchyard-Fallback"); !strings.Contains(fb, "small") || !strings.Contains(fb, "8192") {
			t.Errorf("stream %v: the fallback does not name the small engine's refusal: %q", stream, fb)
		}
		if small.Chats() != i+1 || big.Chats() != i+1 {
			t.Errorf("stream %v: small %d chats, big %d; want the small engine tried and refusing first", stream, small.Chats(), big.Chats())
		}
	}
	if n := cloud.Chats(); n != 0 {
		t.Errorf("the cloud got %d requests of a private job", n)
	}
}

// TestEngineRefusalWithNoOtherMember: with no other member to hold it,
// the private job is answered with the engine's refusal in the client's
// dialect, its numbers kept, and the cloud is never asked.
func TestEngineRefusalWithNoOtherMember(t *testing.T) {
	for _, shape := range windowShapes {
		t.Run(shape.name, func(t *testing.T) { refusedWithNoOtherMember(t, shape) })
	}
}

func refusedWithNoOtherMember(t *testing.T, shape engineShape) {
	small, _, cloud, urls := windowFakes(t, shape)
	a := buildYAML(t, windowConfig(urls, false))
	sy := httptest.NewServer(a.router)
	defer sy.Close()
	for _, stream := range []bool{false, true} {
		resp, b := postWindowJob(t, sy.URL, stream)
		checkEstimateFits(t, resp)
		var env struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(b, &env); err != nil || resp.StatusCode != http.StatusBadRequest || env.Error.Code != "context_length_exceeded" {
			t.Fatalf("stream %v: HTTP %d %s (%v); want 400 context_length_exceeded", stream, resp.StatusCode, b, err)
		}
		for _, says := range append([]string{"small"}, shape.says...) {
			if m := env.Error.Message; !strings.Contains(m, says) {
				t.Errorf("stream %v: the message does not keep the engine's words and numbers (%q): %q", stream, says, m)
			}
		}
	}
	// Anthropic's dialect says it its own way.
	body, _ := json.Marshal(map[string]any{"model": "auto", "max_tokens": 100,
		"messages": []map[string]string{{"role": "user", "content": "fix this:\n" + windowJob}}})
	resp, err := http.Post(sy.URL+"/v1/messages", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var env struct {
		Type  string `json:"type"`
		Error struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(b, &env); err != nil || resp.StatusCode != http.StatusBadRequest || env.Type != "error" ||
		env.Error.Type != "invalid_request_error" || !strings.Contains(env.Error.Message, shape.says[len(shape.says)-1]) {
		t.Errorf("anthropic: HTTP %d %s", resp.StatusCode, b)
	}
	if small.Chats() != 3 || cloud.Chats() != 0 {
		t.Errorf("small %d chats, cloud %d; want every job tried on the engine and none sent to the cloud", small.Chats(), cloud.Chats())
	}
}
