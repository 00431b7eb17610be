package router

import (
	"context"
	"io"
	"sync"
	"time"

	"github.com/switchyard/switchyard/providers"
)

// scripted is a provider whose answers a test writes: a list of chunks, an
// error before them, an error after some of them, or a delay. It records
// every request it was given.
type scripted struct {
	name   string
	mu     sync.Mutex
	got    []*providers.Request
	chunks []providers.Chunk
	// failBefore is returned by Chat; failAfter by Next once the chunks
	// before it are out (at index failAt).
	failBefore error
	failAfter  error
	failAt     int
	delay      time.Duration
}

func (s *scripted) Chat(ctx context.Context, req *providers.Request) (providers.Stream, error) {
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

func (st *scriptedStream) Next() (providers.Chunk, error) {
	if err := st.ctx.Err(); err != nil {
		return providers.Chunk{}, err
	}
	if st.s.failAfter != nil && st.i == st.s.failAt {
		return providers.Chunk{}, st.s.failAfter
	}
	if st.i >= len(st.s.chunks) {
		return providers.Chunk{}, io.EOF
	}
	c := st.s.chunks[st.i]
	st.i++
	return c, nil
}

func (st *scriptedStream) Close() error { return nil }

func textReply(parts ...string) []providers.Chunk {
	var cs []providers.Chunk
	for _, p := range parts {
		cs = append(cs, providers.Chunk{Content: p})
	}
	cs = append(cs, providers.Chunk{FinishReason: providers.FinishStop, Usage: &providers.Usage{PromptTokens: 12, CompletionTokens: len(parts)}})
	return cs
}
