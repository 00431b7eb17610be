package router

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/ingress/anthropic"
	"github.com/switchyard/switchyard/policy"
)

// The router's side of a second dialect: the same decision, headers and
// refusals whatever the dialect, each written in the dialect's own words,
// and the endpoints a dialect adds (count_tokens, its model list).

const anthropicHello = `{"model":"auto","max_tokens":256,"system":"be brief","messages":[{"role":"user","content":"hello there"}]}`

func TestAnthropicRoutedLikeChat(t *testing.T) {
	g := newRig(t, nil)
	resp := g.post(t, "/v1/messages?beta=true", anthropicHello, map[string]string{"anthropic-version": "2023-06-01"})
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("X-Switchyard-Route") != "local" || resp.Header.Get("X-Switchyard-Privacy") != "private" {
		t.Fatalf("%d route %q privacy %q: %s", resp.StatusCode, resp.Header.Get("X-Switchyard-Route"), resp.Header.Get("X-Switchyard-Privacy"), body)
	}
	var m struct {
		Type, Role string
		Content    []struct{ Type, Text string }
		StopReason string `json:"stop_reason"`
	}
	if err := json.Unmarshal(body, &m); err != nil || m.Type != "message" || len(m.Content) != 1 || m.Content[0].Text != "Hello" || m.StopReason != "end_turn" {
		t.Errorf("answer %s", body)
	}
	// The same job through explain, named by its dialect.
	ex := g.post(t, "/v1/switchyard/explain?dialect=anthropic", anthropicHello, nil)
	var e struct{ Chosen string }
	json.NewDecoder(ex.Body).Decode(&e)
	if ex.StatusCode != 200 || e.Chosen != "local" {
		t.Errorf("explain: %d %+v", ex.StatusCode, e)
	}
}

// anthropicError reads Anthropic's envelope.
func anthropicError(t *testing.T, resp *http.Response) (typ, msg string) {
	t.Helper()
	var b struct {
		Type  string
		Error struct{ Type, Message string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&b); err != nil || b.Type != "error" {
		t.Fatalf("not Anthropic's envelope: %v %+v", err, b)
	}
	return b.Error.Type, b.Error.Message
}

func TestAnthropicRefusalsInItsEnvelope(t *testing.T) {
	g := newRig(t, nil)
	// A private job pinned to a cloud: 403 permission_error.
	resp := g.post(t, "/v1/messages", strings.Replace(anthropicHello, `"auto"`, `"devstral"`, 1), nil)
	if typ, _ := anthropicError(t, resp); resp.StatusCode != 403 || typ != "permission_error" || resp.Header.Get("X-Switchyard-Reason") != policy.CodePrivacy {
		t.Errorf("pinned cloud: %d %s reason %s", resp.StatusCode, typ, resp.Header.Get("X-Switchyard-Reason"))
	}
	// Too large for the only window it may use: the wording Claude Code
	// compacts on, with the numbers.
	big := `{"model":"auto","max_tokens":256,"messages":[{"role":"user","content":"` + strings.Repeat("word ", 1200000) + `"}]}`
	resp = g.post(t, "/v1/messages", big, nil)
	typ, msg := anthropicError(t, resp)
	if resp.StatusCode != 400 || typ != "invalid_request_error" || !strings.HasPrefix(msg, "prompt is too long: ") || !strings.Contains(msg, " > 262144 maximum") {
		t.Errorf("too large: %d %s %q", resp.StatusCode, typ, msg[:min(len(msg), 200)])
	}
	// A body that is not a request: 400, naming the field.
	resp = g.post(t, "/v1/messages", `{"model":"auto","messages":[{"role":"user","content":"x"}]}`, nil)
	if typ, msg := anthropicError(t, resp); resp.StatusCode != 400 || typ != "invalid_request_error" || !strings.Contains(msg, "max_tokens") {
		t.Errorf("no max_tokens: %d %s %q", resp.StatusCode, typ, msg)
	}
	// No provider available: 529 overloaded_error, which Claude Code retries.
	g2 := newRig(t, func(o *Options) { o.Upstreams[0].Unavailable = "down for the test" })
	resp = g2.post(t, "/v1/messages", anthropicHello, nil)
	if typ, _ := anthropicError(t, resp); resp.StatusCode != 529 || typ != "overloaded_error" {
		t.Errorf("unavailable: %d %s", resp.StatusCode, typ)
	}
	// An unknown path asked with Anthropic's header: its envelope.
	req, _ := http.NewRequest(http.MethodGet, g.srv.URL+"/v1/messages/batches", nil)
	req.Header.Set("anthropic-version", "2023-06-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if typ, _ := anthropicError(t, resp); resp.StatusCode != 404 || typ != "not_found_error" {
		t.Errorf("unknown path: %d %s", resp.StatusCode, typ)
	}
}

func TestAnthropicCountAndModels(t *testing.T) {
	g := newRig(t, nil)
	body := `{"model":"auto","messages":[{"role":"user","content":"count these words please"}]}`
	resp := g.post(t, "/v1/messages/count_tokens?beta=true", body, nil)
	var c struct {
		InputTokens int `json:"input_tokens"`
	}
	json.NewDecoder(resp.Body).Decode(&c)
	want, _ := lenCounter{}.CountRequest(mustDecodeAnthropic(t, body))
	if resp.StatusCode != 200 || c.InputTokens != want || resp.Header.Get("X-Switchyard-Estimated-Tokens") == "" {
		t.Errorf("count: %d %d, want %d", resp.StatusCode, c.InputTokens, want)
	}
	for _, anthropic := range []bool{true, false} {
		req, _ := http.NewRequest(http.MethodGet, g.srv.URL+"/v1/models", nil)
		if anthropic {
			req.Header.Set("anthropic-version", "2023-06-01")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var list struct {
			Object string
			Data   []struct{ ID, Type, Object string }
		}
		json.NewDecoder(resp.Body).Decode(&list)
		resp.Body.Close()
		if len(list.Data) < 4 || list.Data[0].ID != "auto" {
			t.Fatalf("anthropic %v: %+v", anthropic, list)
		}
		if anthropic && (list.Data[0].Type != "model" || list.Object != "") || !anthropic && (list.Object != "list" || list.Data[0].Object != "model") {
			t.Errorf("anthropic %v: the list is in the wrong shape: %+v", anthropic, list)
		}
	}
}

func mustDecodeAnthropic(t *testing.T, body string) *chat.Request {
	t.Helper()
	req, err := anthropic.Dialect{}.DecodeCount(nil, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return req.Chat
}

// A message an Anthropic client resends is decoded once too, the tool
// results it splits into included, and the cached path gives what Decode
// gives.
func TestDecoderReusesAnthropicMessages(t *testing.T) {
	d := newRequestDecoder(1 << 20)
	an := anthropic.Dialect{}
	post := func() *http.Request { return httptest.NewRequest(http.MethodPost, "/v1/messages", nil) }
	turn := []string{`{"role":"user","content":"read a.go"}`,
		`{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"read","input":{"path":"a.go"}}]}`,
		`{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"package a"},{"type":"text","text":"and?"}]}`}
	body := func(msgs []string) []byte {
		return []byte(`{"model":"auto","max_tokens":64,"system":"be brief","messages":[` + strings.Join(msgs, ",") + `]}`)
	}
	_, m1, err := d.decode(an, post(), body(turn))
	if err != nil || m1 == nil {
		t.Fatalf("first turn: %v, memo %v", err, m1)
	}
	turn = append(turn, `{"role":"assistant","content":"a is a package"}`, `{"role":"user","content":"thanks"}`)
	got, m2, err := d.decode(an, post(), body(turn))
	if err != nil || m2 == nil {
		t.Fatalf("second turn: %v", err)
	}
	// system, user, assistant, tool, user ("and?"), then the new two.
	if len(m2.messages) != 7 {
		t.Fatalf("%d messages decoded", len(m2.messages))
	}
	for i := range 5 {
		if m2.messages[i] != m1.messages[i] {
			t.Errorf("message %d decoded again", i)
		}
	}
	want, _ := an.Decode(post(), body(turn))
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got.Chat, want.Chat)
	}
}

// TestModelListsTellTheWindow reads every dialect's model list: auto
// carries the local window (a private job is served there and nowhere
// else), not the widest cloud's, cloud the widest cloud's, and each
// provider its own, under the field that dialect's clients read.
func TestModelListsTellTheWindow(t *testing.T) {
	g := newRig(t, nil)
	want := map[string]float64{"auto": 262144, "local": 262144, "cloud": 1048576, "devstral": 262144, "gemini": 1048576}
	for _, c := range []struct {
		dialect, path, header, list, id, field string
	}{
		{"openai", "/v1/models", "", "data", "id", "context_length"},
		{"openai (vLLM's name)", "/v1/models", "", "data", "id", "max_model_len"},
		{"anthropic", "/v1/models", "anthropic-version", "data", "id", "max_input_tokens"},
		{"gemini", "/v1beta/models", "", "models", "baseModelId", "inputTokenLimit"},
	} {
		req, _ := http.NewRequest(http.MethodGet, g.srv.URL+c.path, nil)
		if c.header != "" {
			req.Header.Set(c.header, "2023-06-01")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string][]map[string]any
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		got := map[string]float64{}
		for _, m := range body[c.list] {
			if n, ok := m[c.field].(float64); ok {
				got[m[c.id].(string)] = n
			}
		}
		if !maps.Equal(got, want) {
			t.Errorf("%s: windows %v, want %v", c.dialect, got, want)
		}
	}
}
