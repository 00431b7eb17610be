package ollama

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/providers/ollama/ollamafake"
)

// readChatBody reads what Chat sends for req when it is large (whatever
// its size), a byte at a time (iotest.OneByteReader) so that every piece
// boundary is crossed.
func readChatBody(t *testing.T, req *chatRequest) []byte {
	t.Helper()
	r, ok, err := streamedBody(req)
	if err != nil {
		t.Fatal(err)
	}
	if !ok { // Chat marshals it whole
		b, _ := json.Marshal(req)
		return b
	}
	got, err := io.ReadAll(iotest.OneByteReader(r))
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestChatBodyIsTheRequestEncoded: the body sent a message at a time is
// json.Marshal's encoding of the request, byte for byte.
func TestChatBodyIsTheRequestEncoded(t *testing.T) {
	f := false
	for _, req := range []*chatRequest{
		{Model: "qwen3-coder:30b", Messages: []chatMessage{}, Stream: true, Truncate: &f},
		{Model: "m<&>\u00e9\"", Messages: []chatMessage{{Role: "user", Content: "hi <b> & \u2028"}}},
		{Model: "m", Messages: []chatMessage{{Role: "system", Content: "s"}, {Role: "user", Content: "u"}, {Role: "assistant", Content: ""},
			{Role: "tool", Content: "{\"a\":1}"}}, Tools: []chatTool{{Type: "function"}}, Format: json.RawMessage(`"json"`),
			Think: json.RawMessage(`false`), KeepAlive: json.RawMessage(`"5m"`), Options: chatOptions{NumCtx: 262144}},
	} {
		want, _ := json.Marshal(req)
		if got := readChatBody(t, req); !bytes.Equal(got, want) {
			t.Errorf("sent %s\nwant %s", got, want)
		}
	}
}

// TestSmallBodiesAreSentWhole: a short turn is one encoding with its
// length; a long conversation is encoded as it is sent.
func TestSmallBodiesAreSentWhole(t *testing.T) {
	small := &chatRequest{Model: "m", Messages: []chatMessage{{Role: "user", Content: "hi"}}}
	if _, ok, _ := newChatBody(small); ok {
		t.Error("a short turn is streamed")
	}
	big := &chatRequest{Model: "m", Messages: []chatMessage{{Role: "user", Content: strings.Repeat("x", streamBodyFrom)}, {Role: "user", Content: "and"}}}
	if _, ok, _ := newChatBody(big); !ok {
		t.Error("a long conversation is encoded whole")
	}
	want, _ := json.Marshal(big)
	if got := readChatBody(t, big); !bytes.Equal(got, want) {
		t.Error("the long conversation is not sent as encoded")
	}
}

// TestLongConversationReachesOllama: a conversation sent as it is encoded
// (without a length) arrives whole, and the fake, which decodes as Ollama
// does, answers it.
func TestLongConversationReachesOllama(t *testing.T) {
	e := newEnv(t, Options{}, ollamafake.Options{})
	long := strings.Repeat("the quick brown fox \"jumps\" <over> the lazy dog\n", 8000)
	chunks, err := e.chat(t, &chat.Request{Stream: true, Messages: []chat.Message{userText(long), userText("now")}})
	if err != nil || len(chunks) == 0 {
		t.Fatalf("%v, %d chunks", err, len(chunks))
	}
	reqs := e.fake.Requests()
	var sent struct {
		Messages []struct{ Content string } `json:"messages"`
	}
	if err := json.Unmarshal(reqs[len(reqs)-1].Raw, &sent); err != nil || len(sent.Messages) != 2 || sent.Messages[0].Content != long {
		t.Fatalf("Ollama got %d messages (%v)", len(sent.Messages), err)
	}
}
