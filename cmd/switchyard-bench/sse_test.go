package main

import (
	"strings"
	"testing"
)

func TestReadStream(t *testing.T) {
	chunk := func(s string) string {
		return `data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"` + s + `"}}]}` + "\n\n"
	}
	for _, c := range []struct {
		name    string
		body    string
		content string
		done    bool
		errMsg  string
		bad     bool
	}{
		{name: "complete", body: chunk("Hel") + chunk("lo") + "data: [DONE]\n\n", content: "Hello", done: true},
		{name: "keep-alives-ignored", body: ": keep-alive\n\n" + chunk("a") + ": keep-alive\n\n" + "data: [DONE]\n\n", content: "a", done: true},
		{name: "cut-without-done", body: chunk("a") + chunk("b"), content: "ab"},
		{name: "error-event-after-content", body: chunk("a") + `data: {"error":{"message":"the answer was cut off","code":"upstream_error"}}` + "\n\n", content: "a", errMsg: "the answer was cut off"},
		{name: "event-after-done", body: chunk("a") + "data: [DONE]\n\n" + chunk("b"), bad: true},
		{name: "not-sse", body: "HTTP/1.1 502 Bad Gateway\n\n", bad: true},
		{name: "not-json", body: "data: {oops\n\n", bad: true},
		{name: "empty", body: ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := readStream([]byte(c.body))
			if c.bad {
				if err == nil {
					t.Fatalf("accepted %q: %+v", c.body, s)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Content != c.content || s.Done != c.done || !strings.Contains(s.Error, c.errMsg) || (c.errMsg == "" && s.Error != "") {
				t.Errorf("got %+v, want content %q done %v error %q", s, c.content, c.done, c.errMsg)
			}
		})
	}
}
