package router

import (
	"context"
	"io"
	"sync"
	"time"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/providers"
)

// scripted is a provider whose answers a test writes: a list of chunks, an
// error before them, an error after some of them, or a delay. It records
// every request it was given.
type scripted struct {
	name   string
	mu     sync.Mutex
	got    []*chat.Request
	chunks []chat.Chunk
	// failBefore is returned by Chat; failAfter by Next once the chunks
	// before it are out (at index failAt).
	failBefore error
	failAfter  error
	failAt     int
	delay      time.Duration
}

func (s *scripted) Chat(ctx context.Context, req *chat.Request) (providers.Stream, error) {
	s.mu.Lock()
	s.got = append(s.got, req)
	s.mu.Unlock()
	if s.failBefore != nil {
		return nil, s.failBefore
	}
	if s.delay > 0 {
		select {
		case <-time.After(s.delay):
		case <-ctx.Done():
			return nil, &providers.Error{Provider: s.name, Kind: providers.KindTimeout, Message: "cancelled", Err: ctx.Err()}
		}
	}
	return &scriptedStream{s: s, ctx: ctx}, nil
}

func (s *scripted) requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.got)
}

type scriptedStream struct {
	s   *scripted
	ctx context.Context
	i   int
}

func (st *scriptedStream) Next() (chat.Chunk, error) {
	if err := st.ctx.Err(); err != nil {
		return chat.Chunk{}, err
	}
	if st.s.failAfter != nil && st.i == st.s.failAt {
		return chat.Chunk{}, st.s.failAfter
	}
	if st.i >= len(st.s.chunks) {
		return chat.Chunk{}, io.EOF
	}
	c := st.s.chunks[st.i]
	st.i++
	return c, nil
}

func (st *scriptedStream) Close() error { return nil }

func textReply(parts ...string) []chat.Chunk {
	var cs []chat.Chunk
	for _, p := range parts {
		cs = append(cs, chat.Chunk{Content: p})
	}
	cs = append(cs, chat.Chunk{FinishReason: chat.FinishStop, Usage: &chat.Usage{PromptTokens: 12, CompletionTokens: len(parts)}})
	return cs
}
