package router

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/ingress/openaichat"
)

// oa is the dialect the decoder tests speak.
var oa = openaichat.Dialect{}

// chatPost is the HTTP request a chat completions body arrives on.
func chatPost() *http.Request {
	return httptest.NewRequest(http.MethodPost, "/v1/chat/completions", nil)
}

func chatBody(msgs ...string) []byte {
	return []byte(`{"model":"auto","max_tokens":64,"tools":[{"type":"function","function":{"name":"read","parameters":{"type":"object"}}}],"messages":[` +
		strings.Join(msgs, ",") + `]}`)
}

func TestDecoderReusesMessages(t *testing.T) {
	d := newRequestDecoder(1 << 20)
	turn := []string{`{"role":"system","content":"be brief"}`, `{"role":"user","content":"read a.go"}`,
		`{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"read","arguments":"{\"path\":\"a.go\"}"}}]}`}
	first, m1, err := d.decode(oa, chatPost(), chatBody(turn...))
	if err != nil || m1 == nil {
		t.Fatalf("first turn: %v, memo %v", err, m1)
	}
	turn = append(turn, `{"role":"tool","tool_call_id":"c1","content":"package a"}`)
	body := chatBody(turn...)
	second, m2, err := d.decode(oa, chatPost(), body)
	if err != nil || m2 == nil || len(m2.messages) != 4 {
		t.Fatalf("second turn: %v, memo %v", err, m2)
	}
	for i := range 3 {
		if m2.messages[i] != m1.messages[i] {
			t.Errorf("message %d decoded again", i)
		}
	}
	if m2.rest != m1.rest {
		t.Error("the members around the messages were decoded again")
	}
	want, _ := oa.Decode(chatPost(), body)
	if !reflect.DeepEqual(second, want) {
		t.Errorf("got %+v\nwant %+v", second, want)
	}
	if &first.Chat.Tools[0] != &second.Chat.Tools[0] {
		t.Error("the tools were decoded again")
	}
}

// countingInspector names one file per message ("<text>.go"), finds an
// AWS key id by its prefix, and counts what it was asked about.
type countingInspector struct {
	mu       sync.Mutex
	calls    int // messages
	outsides int // requests' rests
}

func (c *countingInspector) Message(m *chat.Message) MessageFacts {
	c.mu.Lock()
	c.calls++
	c.mu.Unlock()
	var secrets []string
	if strings.Contains(m.Text(), "AKIA") {
		secrets = []string{"aws-access-key"}
	}
	return MessageFacts{Files: []string{m.Text() + ".go"}, Secrets: secrets}
}

func (c *countingInspector) Outside(req *chat.Request) []string {
	c.mu.Lock()
	c.outsides++
	c.mu.Unlock()
	for _, t := range req.Tools {
		if strings.Contains(t.Description, "AKIA") {
			return []string{"aws-access-key"}
		}
	}
	return nil
}

func (c *countingInspector) Files(base string, msgs []*MessageFacts) int {
	files := map[string]bool{}
	for _, f := range msgs {
		for _, p := range f.Files {
			files[p] = true
		}
	}
	return len(files)
}

func TestInspectorSeesEachMessageOnce(t *testing.T) {
	in := &countingInspector{}
	g := newRig(t, func(o *Options) { o.Inspector = in })
	msgs := []string{`{"role":"user","content":"a"}`, `{"role":"assistant","content":"b"}`}
	for turn, last := range []string{"c", "d AKIA", "e"} {
		msgs = append(msgs, fmt.Sprintf(`{"role":"user","content":%q}`, last))
		ex, err := g.rt.Explain(http.Header{}, chatBody(msgs...))
		if err != nil {
			t.Fatal(err)
		}
		if ex.FileCount != len(msgs) {
			t.Errorf("turn %d: %d files, want %d", turn, ex.FileCount, len(msgs))
		}
		if turn > 0 && (len(ex.SecretKinds) != 1 || ex.SecretKinds[0] != "aws-access-key") {
			t.Errorf("turn %d: secrets %v: a credential in an earlier message is forgotten", turn, ex.SecretKinds)
		}
	}
	if in.calls != 5 {
		t.Errorf("the inspector read %d messages; 5 are distinct", in.calls)
	}
	if in.outsides != 1 {
		t.Errorf("the inspector read the same tools %d times", in.outsides)
	}
}

func TestDecoderOff(t *testing.T) {
	in := &countingInspector{}
	g := newRig(t, func(o *Options) { o.Inspector = in; o.MessageCacheBytes = -1 })
	body := chatBody(`{"role":"user","content":"a"}`)
	for range 2 {
		if _, err := g.rt.Explain(http.Header{}, body); err != nil {
			t.Fatal(err)
		}
	}
	if in.calls != 2 {
		t.Errorf("%d inspections without a cache, want 2", in.calls)
	}
}

func TestByteLRU(t *testing.T) {
	c := newByteLRU[int](100)
	k := func(i int) cacheKey { return cacheKey{uint64(i), i} }
	for i := range 10 {
		c.put(k(i), i, 30)
		if c.size > c.max {
			t.Fatalf("size %d over %d", c.size, c.max)
		}
	}
	for i := range 7 {
		if _, ok := c.get(k(i)); ok {
			t.Errorf("entry %d kept", i)
		}
	}
	if v, ok := c.get(k(7)); !ok || v != 7 {
		t.Error("entry 7 lost")
	}
	c.put(k(10), 10, 30) // evicts 8, the least recently used
	if _, ok := c.get(k(8)); ok {
		t.Error("the least recently used entry was kept")
	}
	if _, ok := c.get(k(7)); !ok {
		t.Error("a recently used entry was evicted")
	}
	c.put(k(11), 11, 101)
	if _, ok := c.get(k(11)); ok {
		t.Error("an entry larger than the cache was kept")
	}
}

// TestByteLRUTrim: trimming keeps the most recently used entries within
// the limit, and the cache goes on working at its full bound after.
func TestByteLRUTrim(t *testing.T) {
	c := newByteLRU[int](1000)
	k := func(i int) cacheKey { return cacheKey{uint64(i), i} }
	for i := range 100 {
		c.put(k(i), i, 10)
	}
	c.get(k(3)) // the most recently used, then 99, 98, ...
	c.trim(250)
	if c.size > 250 || len(c.items) != 25 || c.order.Len() != 25 {
		t.Fatalf("after trim(250): size %d, %d entries, %d in order", c.size, len(c.items), c.order.Len())
	}
	for _, i := range []int{3, 99, 76} {
		if _, ok := c.get(k(i)); !ok {
			t.Errorf("recent entry %d evicted", i)
		}
	}
	for _, i := range []int{75, 0, 50} {
		if _, ok := c.get(k(i)); ok {
			t.Errorf("old entry %d kept", i)
		}
	}
	for i := 100; i < 200; i++ {
		c.put(k(i), i, 10)
	}
	if c.size != 1000 || len(c.items) != 100 {
		t.Errorf("refilled: size %d, %d entries", c.size, len(c.items))
	}
	c.trim(0)
	if c.size != 0 || len(c.items) != 0 || c.order.Len() != 0 {
		t.Errorf("after trim(0): size %d, %d entries", c.size, len(c.items))
	}
}

// TestDecoderLargeConversation decodes and inspects a conversation too
// large for one core (each is shared out), and checks the result against
// decodeChatRequest and the inspector's calls against the messages.
func TestDecoderLargeConversation(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	in := &countingInspector{}
	g := newRig(t, func(o *Options) { o.Inspector = in })
	var msgs []string
	for i := range 60 {
		text := fmt.Sprintf("message %d: %s", i, strings.Repeat("a \"quoted\" line\\n of code;\n", 400))
		msgs = append(msgs, fmt.Sprintf(`{"role":"user","content":%q}`, text))
	}
	body := chatBody(msgs...)
	got, entries, e := g.rt.decoder.decode(oa, chatPost(), body)
	want, _ := oa.Decode(chatPost(), body)
	if e != nil || entries == nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded %d messages (error %v, entries %v), want %d", len(got.Chat.Messages), e, entries != nil, len(want.Chat.Messages))
	}
	for turn := range 2 {
		ex, err := g.rt.Explain(http.Header{}, body)
		if err != nil {
			t.Fatal(err)
		}
		if ex.FileCount != 60 {
			t.Errorf("turn %d: %d files, want 60", turn, ex.FileCount)
		}
	}
	if in.calls != 60 {
		t.Errorf("the inspector read %d messages; 60 are distinct", in.calls)
	}
}

// TestInspectorOutsideOnce: a credential in a tool definition is found
// every turn, though the tools are inspected once.
func TestInspectorOutsideOnce(t *testing.T) {
	in := &countingInspector{}
	g := newRig(t, func(o *Options) { o.Inspector = in })
	msgs := []string{`{"role":"user","content":"a"}`}
	for turn := range 3 {
		msgs = append(msgs, fmt.Sprintf(`{"role":"user","content":"turn %d"}`, turn))
		body := []byte(`{"model":"auto","tools":[{"type":"function","function":{"name":"deploy","description":"uses AKIA...","parameters":{"type":"object"}}}],"messages":[` +
			strings.Join(msgs, ",") + `]}`)
		ex, err := g.rt.Explain(http.Header{}, body)
		if err != nil {
			t.Fatal(err)
		}
		if len(ex.SecretKinds) != 1 || ex.SecretKinds[0] != "aws-access-key" {
			t.Errorf("turn %d: secrets %v", turn, ex.SecretKinds)
		}
	}
	if in.outsides != 1 {
		t.Errorf("the same tools were inspected %d times", in.outsides)
	}
}
