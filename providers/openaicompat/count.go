package openaicompat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/internal/jsonscan"
)

// Counting a prompt as the engine will see it. Two engines say how many
// tokens a conversation is, their own chat template applied:
//
//   - vLLM: POST /tokenize with the chat's messages (and tools), the
//     generation prompt added by default; it answers count, max_model_len
//     and the tokens (vllm/entrypoints/serve/tokenize/protocol.py,
//     TokenizeChatRequest and TokenizeResponse).
//   - llama.cpp's server: POST /apply-template with the chat's messages
//     (and tools) answers the rendered prompt, and POST /tokenize with
//     that content, special tokens parsed, answers its tokens
//     (tools/server/README.md, "POST /apply-template", "POST /tokenize").
//
// Both are at the server's root, beside /v1. Others (LM Studio, a proxy)
// offer neither; their jobs keep switchyard's own estimate.

// Counter counts prompts through the engine, remembering which of the two
// ways it answers and the last counts it gave.
type Counter struct {
	p    *Provider
	seed maphash.Seed

	mu    sync.Mutex
	way   countWay
	tried time.Time // when a way was last looked for, while none is known
	memo  map[uint64]int
}

type countWay int

const (
	wayUnknown countWay = iota
	wayVLLM
	wayLlamaCpp
)

// Bounds of a Counter.
const (
	// memoCounts is how many counts a Counter keeps; it forgets them all
	// when full (a job is counted again at most once).
	memoCounts = 512
	// retryWayEvery is how often an engine that offered no way to count
	// is asked again.
	retryWayEvery = time.Minute
	// maxCountBody bounds an engine's answer: vLLM's lists every token.
	maxCountBody = 64 << 20
)

// errNoCount says the engine offers no way to count.
var errNoCount = errors.New("the engine offers no tokenizer endpoint (vLLM's /tokenize, llama.cpp's /apply-template)")

// NewCounter returns p's Counter; it does no I/O.
func NewCounter(p *Provider) *Counter {
	return &Counter{p: p, seed: maphash.MakeSeed(), memo: map[uint64]int{}}
}

// CountPrompt returns how many tokens req's prompt is to the engine. ctx
// bounds the asking: the caller keeps its own estimate on an error.
func (c *Counter) CountPrompt(ctx context.Context, req *chat.Request) (int, error) {
	body, err := encode(req, c.p.o.Model)
	if err != nil {
		return 0, err
	}
	messages, tools := member(body, "messages"), member(body, "tools")
	key := maphash.Bytes(c.seed, messages) ^ maphash.Bytes(c.seed, tools)*31
	c.mu.Lock()
	n, ok := c.memo[key]
	way, tried := c.way, c.tried
	c.mu.Unlock()
	if ok {
		return n, nil
	}
	if way == wayUnknown && !tried.IsZero() && time.Since(tried) < retryWayEvery {
		return 0, errNoCount
	}
	ways := []countWay{way}
	if way == wayUnknown {
		ways = []countWay{wayVLLM, wayLlamaCpp}
		c.mu.Lock()
		c.tried = time.Now()
		c.mu.Unlock()
	}
	var errs []error
	for _, w := range ways {
		n, err := c.count(ctx, w, messages, tools)
		if err == nil {
			c.mu.Lock()
			if len(c.memo) >= memoCounts {
				clear(c.memo)
			}
			c.memo[key], c.way = n, w
			c.mu.Unlock()
			return n, nil
		}
		if ctx.Err() != nil {
			return 0, err
		}
		errs = append(errs, err)
	}
	return 0, fmt.Errorf("%w: %w", errNoCount, errors.Join(errs...))
}

func (c *Counter) count(ctx context.Context, w countWay, messages, tools []byte) (int, error) {
	root := strings.TrimSuffix(strings.TrimRight(c.p.o.BaseURL, "/"), "/v1")
	chatBody := func(extra string) []byte {
		b := append([]byte(`{"messages":`), messages...)
		if tools != nil {
			b = append(append(b, `,"tools":`...), tools...)
		}
		return append(append(b, extra...), '}')
	}
	switch w {
	case wayVLLM:
		model, _ := json.Marshal(c.p.o.Model)
		var out struct {
			Count *int `json:"count"`
		}
		if err := c.p.postJSON(ctx, root+"/tokenize", chatBody(`,"model":`+string(model)+`,"add_generation_prompt":true`), &out); err != nil {
			return 0, fmt.Errorf("POST %s/tokenize: %w", root, err)
		}
		if out.Count == nil {
			return 0, fmt.Errorf("POST %s/tokenize: no count", root)
		}
		return *out.Count, nil
	default:
		var tpl struct {
			Prompt *string `json:"prompt"`
		}
		if err := c.p.postJSON(ctx, root+"/apply-template", chatBody(""), &tpl); err != nil {
			return 0, fmt.Errorf("POST %s/apply-template: %w", root, err)
		}
		if tpl.Prompt == nil {
			return 0, fmt.Errorf("POST %s/apply-template: no prompt", root)
		}
		// Special tokens parsed and added, as the server does with a chat's
		// prompt.
		content, _ := json.Marshal(*tpl.Prompt)
		var tok struct {
			Tokens *[]json.RawMessage `json:"tokens"`
		}
		body := append(append([]byte(`{"content":`), content...), `,"add_special":true,"parse_special":true}`...)
		if err := c.p.postJSON(ctx, root+"/tokenize", body, &tok); err != nil {
			return 0, fmt.Errorf("POST %s/tokenize: %w", root, err)
		}
		if tok.Tokens == nil {
			return 0, fmt.Errorf("POST %s/tokenize: no tokens", root)
		}
		return len(*tok.Tokens), nil
	}
}

// member is the raw value of obj's member key, nil when it has none.
func member(obj []byte, key string) []byte {
	var v []byte
	jsonscan.Members(obj, func(k []byte, _, from int) int {
		to := jsonscan.SkipValue(obj, from)
		if string(k) == key && to > from {
			v = obj[from:to]
		}
		return to
	})
	return v
}

// postJSON POSTs body to url and decodes the answer into v, with the
// provider's key.
func (p *Provider) postJSON(ctx context.Context, url string, body []byte, v any) error {
	return p.callJSON(ctx, http.MethodPost, url, bytes.NewReader(body), maxCountBody, v)
}

// callJSON sends a request to url and decodes its answer, at most limit
// bytes, into v.
func (p *Provider) callJSON(ctx context.Context, method, url string, body io.Reader, limit int64, v any) error {
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if p.o.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+p.o.APIKey)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, limit)).Decode(v); err != nil {
		return fmt.Errorf("not the JSON expected: %v", err)
	}
	return nil
}
