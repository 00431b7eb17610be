package openaichat

import (
	"encoding/json"
	"net/http/httptest"
	"regexp"
	"strconv"
	"testing"

	"github.com/switchyard/switchyard/ingress"
)

// The patterns agents match a 400 against to decide the conversation is
// too long and compact it (Go spellings of the JavaScript):
//   - opencode 1.18's context-overflow list (packages/llm, b$ in the
//     bundled binary): "maximum context length is \d+ tokens" and
//     "context[_ ]length[_ ]exceeded", tested on the body;
//   - Qwen Code 0.24's contextLengthError.ts: the pattern list, and the
//     OpenAI sentence it reads the limit and the size from.
var (
	opencodeOverflow = []*regexp.Regexp{
		regexp.MustCompile(`(?i)maximum context length is \d+ tokens`),
		regexp.MustCompile(`(?i)context[_ ]length[_ ]exceeded`),
	}
	qwenCounts = regexp.MustCompile(`(?i)maximum context length is\s*(\d[\d,]*)\s*tokens?[\s\S]*?(?:resulted in|requested|used)\s*(\d[\d,]*)\s*tokens?`)
)

func TestContextLengthWording(t *testing.T) {
	for _, c := range []struct {
		name                 string
		tokens, output, want int
	}{
		{"prompt over", 40500, 8192, 48692},
		{"output over", 30000, 16000, 46000},
		{"no output budget", 40500, 0, 40500},
	} {
		e := &ingress.Error{Status: 400, Code: ingress.CodeContextLength, Message: "local: the job does not fit.",
			Tokens: c.tokens, Output: c.output, Limit: 40000}
		rec := httptest.NewRecorder()
		Dialect{}.WriteError(rec, e)
		var body struct {
			Error struct{ Message, Type, Code string }
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != 400 {
			t.Fatalf("%s: %d %s", c.name, rec.Code, rec.Body)
		}
		msg := body.Error.Message
		for _, re := range opencodeOverflow {
			if !re.MatchString(msg) && !re.MatchString(rec.Body.String()) {
				t.Errorf("%s: opencode would not see an overflow (%s) in %s", c.name, re, rec.Body)
			}
		}
		m := qwenCounts.FindStringSubmatch(msg)
		if m == nil || m[1] != "40000" || m[2] != strconv.Itoa(c.want) {
			t.Errorf("%s: Qwen Code reads %q from %q, want limit 40000 and %d", c.name, m, msg, c.want)
		}
		if body.Error.Code != ingress.CodeContextLength || body.Error.Type != "invalid_request_error" {
			t.Errorf("%s: %s", c.name, rec.Body)
		}
		if got := string(Dialect{}.NewAnswer(&ingress.Request{}, ingress.AnswerInfo{}).Fail(e)); !regexp.MustCompile(`maximum context length is 40000 tokens`).MatchString(got) {
			t.Errorf("%s: the stream's error event is not worded: %s", c.name, got)
		}
	}
	// Without the numbers, the message is switchyard's alone.
	rec := httptest.NewRecorder()
	Dialect{}.WriteError(rec, &ingress.Error{Status: 400, Code: ingress.CodeContextLength, Message: "too big"})
	if want := `{"error":{"message":"too big","type":"invalid_request_error","param":null,"code":"context_length_exceeded"}}` + "\n"; rec.Body.String() != want {
		t.Errorf("got %s", rec.Body)
	}
}
