package ollama

import (
	"bytes"
	"encoding/json"
	"io"
)

// chatBody is an /api/chat body that encodes one message at a time as it
// is read: a conversation of a megabyte is never held encoded whole. It
// matters twice over: sixty-four such requests in flight hold sixty-four
// encodings, and an http.Request keeps its body until the answer ends,
// which for a long prefill is minutes. It reads exactly what
// json.Marshal(req) gives (TestChatBodyIsTheRequestEncoded, FuzzTranslate).
type chatBody struct {
	head, tail []byte // the encoding before the first message and after the last
	msgs       []chatMessage
	next       int // the next message to encode; len(msgs)+1 once tail is out
	comma      bool
	buf        []byte
	err        error
}

var comma = []byte{','}

// streamBodyFrom is the size of a conversation's text from which its body
// is encoded as it is sent.
const streamBodyFrom = 256 << 10

// textSize is about how much the messages' encoding takes.
func textSize(msgs []chatMessage) int {
	n := 0
	for i := range msgs {
		m := &msgs[i]
		n += len(m.Content) + len(m.Thinking)
		for _, img := range m.Images {
			n += len(img)
		}
		for _, tc := range m.ToolCalls {
			n += len(tc.Function.Arguments)
		}
	}
	return n
}

// newChatBody returns req's body as a reader, or ok false when it is
// small, has no messages, or its encoding does not begin as chatRequest's
// fields are declared: the caller then marshals it whole.
func newChatBody(req *chatRequest) (body io.Reader, ok bool, err error) {
	if req.Messages == nil {
		return nil, false, nil // "messages":null, which Ollama refuses anyway
	}
	if textSize(req.Messages) < streamBodyFrom {
		// Small: one encoding, sent with its length. A body of unknown
		// length costs net/http a probe of its first byte (a goroutine
		// and a timer) on every request, which a short turn would feel.
		return nil, false, nil
	}
	return streamedBody(req)
}

// streamedBody is newChatBody for a request of any size.
func streamedBody(req *chatRequest) (body io.Reader, ok bool, err error) {
	rest := *req
	rest.Messages = []chatMessage{}
	enc, err := json.Marshal(&rest)
	if err != nil {
		return nil, false, err
	}
	// Model is the first field and Messages the second.
	mb, _ := json.Marshal(req.Model)
	prefix := append(append([]byte(`{"model":`), mb...), `,"messages":[`...)
	if !bytes.HasPrefix(enc, prefix) || len(enc) <= len(prefix) || enc[len(prefix)] != ']' {
		return nil, false, nil
	}
	return &chatBody{head: prefix, tail: enc[len(prefix):], msgs: req.Messages}, true, nil
}

func (b *chatBody) Read(p []byte) (int, error) {
	for len(b.buf) == 0 {
		if b.err != nil {
			return 0, b.err
		}
		switch {
		case b.head != nil:
			b.buf, b.head = b.head, nil
		case b.comma:
			b.buf, b.comma = comma, false
		case b.next < len(b.msgs):
			enc, err := json.Marshal(&b.msgs[b.next])
			if err != nil {
				b.err = err
				return 0, err
			}
			b.buf = enc
			b.next++
			b.comma = b.next < len(b.msgs)
		case b.next == len(b.msgs):
			b.buf = b.tail
			b.next++
		default:
			b.err = io.EOF
		}
	}
	n := copy(p, b.buf)
	b.buf = b.buf[n:]
	return n, nil
}
