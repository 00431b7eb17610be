package openaifake

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// The official SDK reads the fake's answers, whole and streamed, as it
// reads OpenAI's.
func TestSDKReadsTheFake(t *testing.T) {
	s := New("qwen3-coder")
	srv := httptest.NewServer(s)
	defer srv.Close()
	client := openai.NewClient(option.WithBaseURL(srv.URL+"/v1"), option.WithAPIKey("unused"), option.WithMaxRetries(0))
	params := openai.ChatCompletionNewParams{Model: "x", Messages: []openai.ChatCompletionMessageParamUnion{
		openai.UserMessage("rename parseCount to parseDecimal everywhere please")}}
	c, err := client.Chat.Completions.New(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	const want = "You said: rename parseCount to parseDecimal everywhere please"
	if got := c.Choices[0].Message.Content; got != want || c.Choices[0].FinishReason != "stop" || c.Model != "qwen3-coder" {
		t.Errorf("whole: %q %q %q", got, c.Choices[0].FinishReason, c.Model)
	}
	params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	st := client.Chat.Completions.NewStreaming(context.Background(), params)
	var acc openai.ChatCompletionAccumulator
	chunks := 0
	for st.Next() {
		acc.AddChunk(st.Current())
		chunks++
	}
	if err := st.Err(); err != nil {
		t.Fatal(err)
	}
	if got := acc.Choices[0].Message.Content; got != want || acc.Usage.CompletionTokens != 2 || chunks != 5 {
		t.Errorf("stream: %q, usage %+v, %d chunks (want role, 2 pieces, finish, usage)", got, acc.Usage, chunks)
	}
	if s.Chats() != 2 || !strings.Contains(string(s.LastBody()), "include_usage") {
		t.Errorf("chats %d, last body %s", s.Chats(), s.LastBody())
	}
}

func TestRefusesWhatLlamaCppRefuses(t *testing.T) {
	srv := httptest.NewServer(New("m"))
	defer srv.Close()
	for _, c := range []struct {
		path, body string
		status     int
	}{
		{"/v1/chat/completions", `{"messages":`, 400},
		{"/v1/chat/completions", `{"model":"m","messages":[]}`, 400},
		{"/v1/completions", `{}`, 404},
	} {
		resp, err := http.Post(srv.URL+c.path, "application/json", strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("%s %s: %d, want %d", c.path, c.body, resp.StatusCode, c.status)
		}
	}
}

// TestRepeatedPromptEvaluatesItsLastToken: llama.cpp evaluates at least
// one token of a prompt its slot holds whole, so the cache never covers
// all of it.
func TestRepeatedPromptEvaluatesItsLastToken(t *testing.T) {
	srv := httptest.NewServer(New("m").LlamaCpp(4096, 0))
	defer srv.Close()
	var timings struct {
		Usage struct {
			PromptTokens int `json:"prompt_tokens"`
		}
		Timings struct {
			CacheN  int `json:"cache_n"`
			PromptN int `json:"prompt_n"`
		}
	}
	for range 2 {
		resp, err := http.Post(srv.URL+"/v1/chat/completions", "application/json", strings.NewReader(`{"messages":[{"role":"user","content":"how are you"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		json.NewDecoder(resp.Body).Decode(&timings)
		resp.Body.Close()
	}
	if timings.Timings.PromptN != 1 || timings.Timings.CacheN != timings.Usage.PromptTokens-1 {
		t.Errorf("the same prompt again: %+v, want all but one token cached", timings)
	}
}

// TestSlots: in llama.cpp's shape the fake says the slots it was given.
func TestSlots(t *testing.T) {
	for _, tc := range []struct {
		fake *Server
		want int
	}{{New("m").LlamaCpp(4096, 0), 1}, {New("m").LlamaCpp(4096, 0).Slots(4), 4}} {
		srv := httptest.NewServer(tc.fake)
		var props struct {
			TotalSlots int `json:"total_slots"`
		}
		var slots []json.RawMessage
		for path, v := range map[string]any{"/props": &props, "/slots": &slots} {
			resp, err := http.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			json.NewDecoder(resp.Body).Decode(v)
			resp.Body.Close()
		}
		srv.Close()
		if props.TotalSlots != tc.want || len(slots) != tc.want {
			t.Errorf("total_slots %d, %d slots listed; want %d", props.TotalSlots, len(slots), tc.want)
		}
	}
}
