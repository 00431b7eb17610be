package responses

import (
	"container/list"
	"sync"

	"github.com/switchyard/switchyard/chat"
)

// The store keeps recent responses made with store on (the Responses
// default), so a request may continue one by previous_response_id instead
// of resending the conversation. It is in memory and bounded: the last
// storeResponses responses, and no more than storeBytes of their text in
// all, the oldest forgotten first. A forgotten or unknown id is a 400 that
// says to send the conversation instead, never a turn run without its
// history.
const (
	storeResponses = 256
	storeBytes     = 64 << 20
)

type store struct {
	mu    sync.Mutex
	byID  map[string]*list.Element
	order list.List // of *stored, newest at the front
	bytes int
}

type stored struct {
	id string
	// msgs is the whole conversation the response ends, without the
	// instructions: what a request naming it continues from.
	msgs  []chat.Message
	bytes int
}

// get returns the conversation the response id ends. The slice is shared:
// callers append to a copy.
func (s *store) get(id string) ([]chat.Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.byID[id]
	if !ok {
		return nil, false
	}
	return e.Value.(*stored).msgs, true
}

// put keeps msgs as the conversation response id ends.
func (s *store) put(id string, msgs []chat.Message) {
	n := size(msgs)
	if n > storeBytes {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byID == nil {
		s.byID = map[string]*list.Element{}
	}
	s.byID[id] = s.order.PushFront(&stored{id: id, msgs: msgs, bytes: n})
	s.bytes += n
	for s.order.Len() > storeResponses || s.bytes > storeBytes {
		old := s.order.Back()
		st := old.Value.(*stored)
		s.order.Remove(old)
		delete(s.byID, st.id)
		s.bytes -= st.bytes
	}
}

// size is what msgs hold, roughly in bytes: their text, images' URLs,
// calls' arguments and a little for each message.
func size(msgs []chat.Message) int {
	n := 0
	for i := range msgs {
		m := &msgs[i]
		n += 64 + len(m.ToolCallID)
		for _, p := range m.Content {
			n += 16 + len(p.Text) + len(p.ImageURL)
		}
		for _, c := range m.ToolCalls {
			n += 32 + len(c.ID) + len(c.Name) + len(c.Arguments) + len(c.Signature)
		}
		for _, r := range m.Reasoning {
			n += 16 + len(r.Text) + len(r.Signature) + len(r.Redacted)
		}
	}
	return n
}
