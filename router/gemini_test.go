package router

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/ingress/gemini"
	"github.com/switchyard/switchyard/policy"
)

// The router's side of the Gemini dialect: the model and the method in
// the path, one route shared by generate and count, three stream forms of
// the answer, its own model list, and refusals in Google's envelope.

const geminiHello = `{"systemInstruction":{"parts":[{"text":"be brief"}]},"contents":[{"role":"user","parts":[{"text":"hello there"}]}]}`

// geminiResponse is the part of a GenerateContentResponse the tests read.
type geminiResponse struct {
	Candidates []struct {
		Content struct {
			Parts []struct{ Text string }
		}
		FinishReason string
	}
	UsageMetadata *struct{ PromptTokenCount int }
	Error         *struct {
		Code    int
		Message string
		Status  string
	}
}

func (r *geminiResponse) text() string {
	var b strings.Builder
	for _, c := range r.Candidates {
		for _, p := range c.Content.Parts {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

func TestGeminiRoutedLikeChat(t *testing.T) {
	g := newRig(t, nil)
	// Gemini CLI's own model id is unknown: it means auto.
	resp := g.post(t, "/v1beta/models/gemini-3.1-pro-preview:generateContent", geminiHello, map[string]string{"x-goog-api-client": "google-genai-sdk/1.30.0"})
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("X-Switchyard-Route") != "local" || resp.Header.Get("X-Switchyard-Privacy") != "private" {
		t.Fatalf("%d route %q privacy %q: %s", resp.StatusCode, resp.Header.Get("X-Switchyard-Route"), resp.Header.Get("X-Switchyard-Privacy"), body)
	}
	var r geminiResponse
	if err := json.Unmarshal(body, &r); err != nil || r.text() != "Hello" || r.Candidates[0].FinishReason != "STOP" || r.UsageMetadata == nil || r.UsageMetadata.PromptTokenCount == 0 {
		t.Errorf("answer %s", body)
	}
	ex := g.post(t, "/v1/switchyard/explain?dialect=gemini", geminiHello, nil)
	var e struct{ Chosen string }
	json.NewDecoder(ex.Body).Decode(&e)
	if ex.StatusCode != 200 || e.Chosen != "local" {
		t.Errorf("explain: %d %+v", ex.StatusCode, e)
	}
}

// Both stream forms carry the same answer, the last response with the
// finish: server-sent events for alt=sse, else one JSON array.
func TestGeminiStreamForms(t *testing.T) {
	g := newRig(t, nil)
	resp := g.post(t, "/v1beta/models/auto:streamGenerateContent?alt=sse", geminiHello, nil)
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("sse: %d %s", resp.StatusCode, ct)
	}
	var events []geminiResponse
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var r geminiResponse
		if err := json.Unmarshal([]byte(data), &r); err != nil {
			t.Fatalf("event %q: %v", data, err)
		}
		events = append(events, r)
	}
	var text strings.Builder
	for _, r := range events {
		text.WriteString(r.text())
	}
	if len(events) < 2 || text.String() != "Hello" || events[len(events)-1].Candidates[0].FinishReason != "STOP" {
		t.Errorf("sse events %+v", events)
	}

	resp = g.post(t, "/v1beta/models/auto:streamGenerateContent", geminiHello, nil)
	body, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("array: %d %s %s", resp.StatusCode, ct, body)
	}
	var arr []geminiResponse
	if err := json.Unmarshal(body, &arr); err != nil {
		t.Fatalf("the array form is not one JSON array: %v\n%s", err, body)
	}
	text.Reset()
	for _, r := range arr {
		text.WriteString(r.text())
	}
	if text.String() != "Hello" || arr[len(arr)-1].Candidates[0].FinishReason != "STOP" {
		t.Errorf("array %s", body)
	}
}

func TestGeminiCountAndModels(t *testing.T) {
	g := newRig(t, nil)
	for _, body := range []string{geminiHello, `{"generateContentRequest":` + geminiHello + `}`} {
		resp := g.post(t, "/v1beta/models/auto:countTokens", body, nil)
		var c struct{ TotalTokens int }
		json.NewDecoder(resp.Body).Decode(&c)
		req, err := gemini.Dialect{}.DecodeCount(nil, []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		want, _ := lenCounter{}.CountRequest(req.Chat)
		if resp.StatusCode != 200 || c.TotalTokens != want || c.TotalTokens == 0 {
			t.Errorf("count %s: %d %d, want %d", body, resp.StatusCode, c.TotalTokens, want)
		}
	}
	if n := g.local.requests(); n != 0 {
		t.Errorf("counting sent %d requests upstream", n)
	}

	resp, err := http.Get(g.srv.URL + "/v1beta/models")
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Models []struct {
			Name            string
			InputTokenLimit int
		}
	}
	json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if len(list.Models) < 4 || list.Models[0].Name != "models/auto" {
		t.Fatalf("list %+v", list)
	}
	for _, m := range list.Models {
		if m.Name == "models/gemini" && m.InputTokenLimit != 1048576 {
			t.Errorf("the gemini provider's window: %+v", m)
		}
	}
	resp, err = http.Get(g.srv.URL + "/v1beta/models/nope")
	if err != nil {
		t.Fatal(err)
	}
	var e geminiResponse
	json.NewDecoder(resp.Body).Decode(&e)
	resp.Body.Close()
	if resp.StatusCode != 404 || e.Error == nil || e.Error.Status != "NOT_FOUND" {
		t.Errorf("unknown model: %d %+v", resp.StatusCode, e.Error)
	}
}

func TestGeminiRefusalsInItsEnvelope(t *testing.T) {
	g := newRig(t, nil)
	read := func(resp *http.Response) (int, string, string) {
		t.Helper()
		var e geminiResponse
		if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || e.Error == nil || e.Error.Code != resp.StatusCode {
			t.Fatalf("not Google's envelope: %v %+v", err, e.Error)
		}
		return resp.StatusCode, e.Error.Status, e.Error.Message
	}
	// A private job pinned to a cloud.
	resp := g.post(t, "/v1beta/models/devstral:generateContent", geminiHello, nil)
	if code, status, _ := read(resp); code != 403 || status != "PERMISSION_DENIED" || resp.Header.Get("X-Switchyard-Reason") != policy.CodePrivacy {
		t.Errorf("pinned cloud: %d %s", code, status)
	}
	// Too large for the only window it may use: Gemini's own words, with
	// the numbers.
	big := `{"contents":[{"parts":[{"text":"` + strings.Repeat("word ", 1200000) + `"}]}]}`
	code, status, msg := read(g.post(t, "/v1beta/models/auto:streamGenerateContent?alt=sse", big, nil))
	if code != 400 || status != "INVALID_ARGUMENT" || !strings.HasPrefix(msg, "The input token count (") || !strings.Contains(msg, "maximum number of tokens allowed (262144)") {
		t.Errorf("too large: %d %s %q", code, status, msg[:min(len(msg), 200)])
	}
	// A body that is not a request names the field.
	if code, status, msg := read(g.post(t, "/v1beta/models/auto:generateContent", `{"contents":[]}`, nil)); code != 400 || status != "INVALID_ARGUMENT" || !strings.Contains(msg, "contents") {
		t.Errorf("empty contents: %d %s %q", code, status, msg)
	}
	// An unknown method.
	if code, status, _ := read(g.post(t, "/v1beta/models/auto:embedContent", geminiHello, nil)); code != 404 || status != "NOT_FOUND" {
		t.Errorf("unknown method: %d %s", code, status)
	}
}
