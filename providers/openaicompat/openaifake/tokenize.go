package openaifake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// The fake counts a prompt as its chat template renders it (ChatML, as
// Qwen's template does: each message between <|im_start|> and <|im_end|>,
// the tools in the system turn, the assistant's turn opened), one token
// for every bytesPerToken bytes: the same count in a chat's usage and at
// the tokenizer endpoints of the engine it says it is.
//
//   - vLLM: POST /tokenize {"messages": [...], "tools": [...]} answers
//     {"count", "max_model_len", "tokens", "token_strs"}, or with
//     {"prompt": "..."} the count of that text
//     (vllm/entrypoints/serve/tokenize/protocol.py).
//   - llama.cpp: POST /apply-template {"messages": [...]} answers
//     {"prompt": "..."}; POST /tokenize {"content": "..."} answers
//     {"tokens": [...]} (tools/server/README.md).

// defaultBytesPerToken is about what Qwen's tokenizer makes of English
// and code.
const defaultBytesPerToken = 4

// BytesPerToken makes the fake count a token for every n bytes of the
// rendered prompt (4 by default): a tokenizer unlike switchyard's. Call it
// before serving.
func (s *Server) BytesPerToken(n int) *Server {
	s.bytesPerToken = n
	return s
}

type chatPrompt struct {
	Messages []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	Tools json.RawMessage `json:"tools"`
}

// render is the prompt the fake's template makes of p.
func render(p *chatPrompt) string {
	var b strings.Builder
	if len(p.Tools) > 0 && string(p.Tools) != "null" {
		b.WriteString("<|im_start|>system\n# Tools\n")
		b.Write(p.Tools)
		b.WriteString("<|im_end|>\n")
	}
	for _, m := range p.Messages {
		b.WriteString("<|im_start|>" + m.Role + "\n")
		var text string
		if json.Unmarshal(m.Content, &text) == nil {
			b.WriteString(text)
		} else {
			b.Write(m.Content)
		}
		b.WriteString("<|im_end|>\n")
	}
	b.WriteString("<|im_start|>assistant\n")
	return b.String()
}

// tokens is how many tokens text is to the fake.
func (s *Server) tokens(text string) int {
	n := s.bytesPerToken
	if n <= 0 {
		n = defaultBytesPerToken
	}
	return (len(text) + n - 1) / n
}

// serveTokenizer answers the tokenizer endpoints of the engine the fake
// says it is, and reports whether r was one.
func (s *Server) serveTokenizer(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodPost {
		return false
	}
	vllm, llama := s.maxModelLen > 0, s.nCtx > 0
	switch {
	case r.URL.Path == "/tokenize" && vllm:
		var req struct {
			chatPrompt
			Prompt *string `json:"prompt"`
		}
		if !decodeBody(w, r, &req) {
			return true
		}
		var n int
		switch {
		case req.Messages != nil:
			n = s.tokens(render(&req.chatPrompt))
		case req.Prompt != nil:
			n = s.tokens(*req.Prompt)
		default:
			// vLLM's own envelope (vllm/entrypoints/openai/engine/protocol.py, ErrorResponse).
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"object":"error","message":"Field required: messages or prompt","type":"BadRequestError","param":null,"code":400}`)
			return true
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"count":%d,"max_model_len":%d,"tokens":%s,"token_strs":null}`, n, s.maxModelLen, tokenList(n))
	case r.URL.Path == "/apply-template" && llama:
		var req chatPrompt
		if !decodeBody(w, r, &req) {
			return true
		}
		if req.Messages == nil {
			fail(w, http.StatusBadRequest, "'messages' is required", "invalid_request_error")
			return true
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"prompt":%s}`, quote(render(&req)))
	case r.URL.Path == "/tokenize" && llama:
		var req struct {
			Content *string `json:"content"`
		}
		if !decodeBody(w, r, &req) {
			return true
		}
		if req.Content == nil {
			fail(w, http.StatusBadRequest, "'content' is required", "invalid_request_error")
			return true
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"tokens":%s}`, tokenList(s.tokens(*req.Content)))
	default:
		return false
	}
	return true
}

// decodeBody decodes r's JSON body into v, or answers 400 and returns false.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := io.ReadAll(r.Body)
	if err != nil || json.Unmarshal(b, v) != nil {
		fail(w, http.StatusBadRequest, "the request body is not valid JSON", "invalid_request_error")
		return false
	}
	return true
}

// tokenList is n token ids.
func tokenList(n int) string {
	var b strings.Builder
	b.WriteByte('[')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprint(&b, 100+i%150000)
	}
	b.WriteByte(']')
	return b.String()
}
