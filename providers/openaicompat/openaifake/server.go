// Package openaifake is an OpenAI-compatible chat completions server in
// the shape llama.cpp's server answers (tools/server/README.md, "POST
// /v1/chat/completions"; OpenAI's chat streaming reference): streamed
// chat.completion.chunk events, the first with the assistant role, one
// per piece of content, a finish chunk with an empty delta, a usage chunk
// with "choices":[] when stream_options.include_usage asks for it, then
// "data: [DONE]"; or one chat.completion. It enforces what those servers
// refuse (a body that is not JSON, no messages, a prompt over the window
// of the engine it says it is: window.go) with their error envelopes.
//
// Its reply is derived from the request (the last message echoed, four
// words a chunk) and encoded by hand, so that as an upstream in a
// benchmark it costs little and the same on every path; a test may queue
// other replies instead (Enqueue: text, tool calls, a failure, a delay),
// which is how the conformance suite drives it.
package openaifake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Server is the fake; it is safe for concurrent use once serving.
type Server struct {
	model string
	chats atomic.Int64
	last  atomic.Pointer[[]byte]
	// The load it says it has (SetLoad), beside the chats it is answering.
	running, waiting, answering atomic.Int64
	// The engine it says it is: llama.cpp (GET /props with the slot's
	// n_ctx, meta.n_ctx_train in the model list), vLLM (max_model_len in
	// the model list, no /props), or neither (a bare model list).
	nCtx, nCtxTrain, maxModelLen int
	bytesPerToken                int
	// prefillTPS is how fast it processes a prompt's uncached part (0:
	// at once); cached what its one slot holds, the last prompt.
	prefillTPS float64
	mu         sync.Mutex
	cached     string
	// slots is the total_slots GET /props says (0: one).
	slots int
	// script is the queue of scripted replies (script.go), queued its
	// length, read without the lock.
	scriptMu sync.Mutex
	script   []Reply
	queued   atomic.Int64
}

// LlamaCpp makes the fake say what llama.cpp's server says of its window
// (tools/server/README.md): GET /props with
// default_generation_settings.n_ctx, the context of a slot, and GET
// /v1/models with meta.n_ctx_train, the model's trained length. Call it
// before serving.
func (s *Server) LlamaCpp(nCtx, nCtxTrain int) *Server {
	s.nCtx, s.nCtxTrain, s.maxModelLen = nCtx, nCtxTrain, 0
	return s
}

// Slots makes the fake in llama.cpp's shape say it has n slots (its
// --parallel): total_slots in GET /props (tools/server/README.md, "GET
// /props"), and at least n slots in GET /slots. Call it before serving.
func (s *Server) Slots(n int) *Server {
	s.slots = n
	return s
}

// VLLM makes the fake say what vLLM says of its window: max_model_len in
// each model of GET /v1/models (vllm/entrypoints/openai/protocol.py,
// ModelCard), and no /props (vLLM answers 404). Call it before serving.
func (s *Server) VLLM(maxModelLen int) *Server {
	s.nCtx, s.nCtxTrain, s.maxModelLen = 0, 0, maxModelLen
	return s
}

// PrefillTokensPerSecond makes the fake take the time a prompt's uncached
// part needs at tps before its first chunk, as an engine prefills; in
// llama.cpp's shape it says so in the timings of its last chunk. Call it
// before serving.
func (s *Server) PrefillTokensPerSecond(tps float64) *Server {
	s.prefillTPS = tps
	return s
}

// prefill is what the fake's one slot does with a prompt: the tokens it
// had cached (the prefix it shares with the last prompt) and how long the
// rest took.
func (s *Server) prefill(prompt string) (cachedTokens int, took time.Duration) {
	s.mu.Lock()
	n := 0
	for n < len(prompt) && n < len(s.cached) && prompt[n] == s.cached[n] {
		n++
	}
	s.cached = prompt
	s.mu.Unlock()
	cachedTokens = s.tokens(prompt[:n])
	if n < len(prompt) && cachedTokens > 0 {
		cachedTokens-- // a partial token is processed again
	}
	if total := s.tokens(prompt); cachedTokens >= total && total > 0 {
		// A prompt it holds whole is evaluated from its last token, for
		// its logits (tools/server/server-context.cpp, TAG_PROMPT_LOGITS).
		cachedTokens = total - 1
	}
	if s.prefillTPS > 0 {
		took = time.Duration(float64(s.tokens(prompt)-cachedTokens) / s.prefillTPS * float64(time.Second))
		time.Sleep(took)
	}
	return cachedTokens, took
}

// New returns a fake that names model in its answers and its model list.
func New(model string) *Server { return &Server{model: model} }

// SetLoad makes the fake say it is running and has waiting that many
// requests of other clients, beside the chats it is answering: as llama.cpp
// in GET /slots (a slot for each running request, at least one; it shows
// no queue, so waiting is not said) and as vLLM in GET /metrics (its two
// gauges, in the shape of ../testdata/vllm-metrics.txt). A fake that is
// neither engine says nothing of its load. Safe while serving.
func (s *Server) SetLoad(running, waiting int) {
	s.running.Store(int64(running))
	s.waiting.Store(int64(waiting))
}

// Chats is how many chat requests the fake answered, refusals included.
func (s *Server) Chats() int { return int(s.chats.Load()) }

// LastBody is the body of the newest chat request.
func (s *Server) LastBody() []byte {
	if b := s.last.Load(); b != nil {
		return *b
	}
	return nil
}

type request struct {
	Model  string `json:"model"`
	Stream bool   `json:"stream"`
	// The output budget, which vLLM counts against its window.
	MaxTokens           *int `json:"max_tokens"`
	MaxCompletionTokens *int `json:"max_completion_tokens"`
	chatPrompt
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.serveTokenizer(w, r) {
		return
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/v1/models":
		w.Header().Set("Content-Type", "application/json")
		switch {
		case s.maxModelLen > 0:
			fmt.Fprintf(w, `{"object":"list","data":[{"id":%q,"object":"model","created":1765000000,"owned_by":"vllm","root":%q,"parent":null,"max_model_len":%d,"permission":[]}]}`,
				s.model, s.model, s.maxModelLen)
		case s.nCtxTrain > 0:
			fmt.Fprintf(w, `{"object":"list","data":[{"id":%q,"object":"model","created":1765000000,"owned_by":"llamacpp","meta":{"vocab_type":2,"n_vocab":151936,"n_ctx_train":%d,"n_embd":2048}}]}`,
				s.model, s.nCtxTrain)
		default:
			fmt.Fprintf(w, `{"object":"list","data":[{"id":%q,"object":"model","owned_by":"llamacpp"}]}`, s.model)
		}
		return
	case r.Method == http.MethodGet && r.URL.Path == "/props" && s.nCtx > 0:
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"default_generation_settings":{"n_ctx":%d,"params":{"n_predict":-1,"temperature":0.8}},"total_slots":%d,"model_path":"/models/%s.gguf","build_info":"b7000-fake"}`,
			s.nCtx, max(s.slots, 1), s.model)
		return
	case r.Method == http.MethodGet && r.URL.Path == "/slots" && s.nCtx > 0:
		s.serveSlots(w)
		return
	case r.Method == http.MethodGet && r.URL.Path == "/metrics" && s.maxModelLen > 0:
		s.serveMetrics(w)
		return
	case r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions":
		fail(w, http.StatusNotFound, "File Not Found", "not_found_error")
		return
	}
	body, err := io.ReadAll(r.Body)
	var req request
	if err != nil || json.Unmarshal(body, &req) != nil {
		fail(w, http.StatusBadRequest, "the request body is not valid JSON", "invalid_request_error")
		return
	}
	if len(req.Messages) == 0 {
		fail(w, http.StatusBadRequest, "'messages' is required", "invalid_request_error")
		return
	}
	n := s.chats.Add(1)
	s.last.Store(&body)
	s.answering.Add(1)
	defer s.answering.Add(-1)
	text := render(&req.chatPrompt)
	prompt := s.tokens(text)
	if s.refuse(w, &req, prompt) {
		return
	}
	a := answer{n: n, prompt: prompt, finish: "stop"}
	if !s.compose(w, r, &req, &a) {
		return
	}
	a.cached, a.took = s.prefill(text)
	if !req.Stream {
		s.writeWhole(w, &a)
		return
	}
	s.writeStream(w, &a, req.StreamOptions != nil && req.StreamOptions.IncludeUsage)
}

// compose fills in what a says: the next scripted reply, or else the
// echo. It reports false when the reply was a failure, answered already,
// or the client left while it was held back.
func (s *Server) compose(w http.ResponseWriter, r *http.Request, req *request, a *answer) bool {
	rp, ok := s.next()
	if !ok {
		a.pieces = echo(req.Messages[len(req.Messages)-1].Content)
		return true
	}
	if !hold(r, rp.Delay) {
		return false
	}
	if rp.Status != 0 {
		failScripted(w, &rp)
		return false
	}
	a.pieces, a.calls = rp.Text, rp.Calls
	if len(a.calls) > 0 {
		a.finish = "tool_calls"
	}
	return true
}

// answer is what the fake says to chat n: its pieces of text and its
// calls, and what its prompt cost.
type answer struct {
	n             int64
	pieces        []string
	calls         []Call
	finish        string
	prompt        int
	cached        int
	took          time.Duration
	usage, timing string
	head          string
}

// prepare writes a's usage, its timings (llama.cpp says on its last chunk
// what the prompt cache held and how long the rest took:
// tools/server/README.md, "timings") and the head of each event.
func (s *Server) prepare(a *answer) {
	completion := len(a.pieces) + len(a.calls)
	a.usage = `{"completion_tokens":` + strconv.Itoa(completion) + `,"prompt_tokens":` + strconv.Itoa(a.prompt) +
		`,"total_tokens":` + strconv.Itoa(a.prompt+completion) + `}`
	if s.nCtx > 0 {
		a.timing = fmt.Sprintf(`,"timings":{"cache_n":%d,"prompt_n":%d,"prompt_ms":%.3f,"predicted_n":%d,"predicted_ms":1.0}`,
			a.cached, a.prompt-a.cached, float64(a.took.Microseconds())/1000, completion)
	}
	a.head = `{"id":"chatcmpl-fake","created":1765000000,"model":` + strconv.Quote(s.model) + `,"system_fingerprint":"b7000-fake","object":`
}

// writeWhole answers as one chat.completion.
func (s *Server) writeWhole(w http.ResponseWriter, a *answer) {
	s.prepare(a)
	content := "null"
	if len(a.pieces) > 0 || len(a.calls) == 0 {
		content = quote(strings.Join(a.pieces, ""))
	}
	calls := ""
	if len(a.calls) > 0 {
		calls = `,"tool_calls":` + toolCalls(a.calls, a.n)
	}
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, a.head+`"chat.completion","choices":[{"finish_reason":"`+a.finish+`","index":0,"message":{"role":"assistant","content":`+
		content+calls+`}}],"usage":`+a.usage+a.timing+"}")
}

// writeStream answers as chat.completion.chunk events: the role, a chunk
// per piece, each call in two, the finish, the usage when asked, [DONE].
func (s *Server) writeStream(w http.ResponseWriter, a *answer, usage bool) {
	s.prepare(a)
	w.Header().Set("Content-Type", "text/event-stream")
	fl, _ := w.(http.Flusher)
	event := func(choices string) {
		io.WriteString(w, "data: "+a.head+`"chat.completion.chunk","choices":[`+choices+"]}\n\n")
		if fl != nil {
			fl.Flush()
		}
	}
	event(`{"finish_reason":null,"index":0,"delta":{"role":"assistant","content":null}}`)
	for _, p := range a.pieces {
		event(`{"finish_reason":null,"index":0,"delta":{"content":` + quote(p) + `}}`)
	}
	for i, c := range a.calls {
		identity, arguments := callDeltas(c, i, a.n)
		event(identity)
		event(arguments)
	}
	io.WriteString(w, "data: "+a.head+`"chat.completion.chunk","choices":[{"finish_reason":"`+a.finish+`","index":0,"delta":{}}]`+a.timing+"}\n\n")
	if usage {
		io.WriteString(w, "data: "+a.head+`"chat.completion.chunk","choices":[],"usage":`+a.usage+"}\n\n")
	}
	io.WriteString(w, "data: [DONE]\n\n")
}

// serveSlots answers GET /slots as llama.cpp's server does
// (tools/server/README.md, "GET /slots"; ../testdata/llamacpp-slots.json),
// with fewer of each slot's fields.
func (s *Server) serveSlots(w http.ResponseWriter) {
	running := int(s.running.Load() + s.answering.Load())
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, "[")
	for i := range max(running, s.slots, 1) {
		if i > 0 {
			io.WriteString(w, ",")
		}
		task := -1
		if i < running {
			task = 100 + i
		}
		fmt.Fprintf(w, `{"id":%d,"id_task":%d,"n_ctx":%d,"speculative":false,"is_processing":%t,"params":{"n_predict":-1,"temperature":0.800000011920929},"next_token":{"has_next_token":true,"has_new_line":false,"n_remain":-1,"n_decoded":0}}`,
			i, task, s.nCtx, i < running)
	}
	io.WriteString(w, "]")
}

// serveMetrics answers GET /metrics as vLLM does
// (vllm/v1/metrics/loggers.py; ../testdata/vllm-metrics.txt), with one
// engine core and fewer metrics.
func (s *Server) serveMetrics(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	fmt.Fprintf(w, `# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name=%[1]q} %[2]d.0
# HELP vllm:num_requests_waiting Number of requests waiting to be processed.
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{engine="0",model_name=%[1]q} %[3]d.0
# HELP vllm:num_requests_waiting_by_reason Number of requests waiting, by reason.
# TYPE vllm:num_requests_waiting_by_reason gauge
vllm:num_requests_waiting_by_reason{engine="0",model_name=%[1]q,reason="capacity"} %[3]d.0
# HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.
# TYPE vllm:kv_cache_usage_perc gauge
vllm:kv_cache_usage_perc{engine="0",model_name=%[1]q} 0.0
`, s.model, s.running.Load()+s.answering.Load(), s.waiting.Load())
}

// maxEcho bounds how much of a message the reply repeats.
const maxEcho = 200

// echo is the reply: the last message's text, four words a piece.
func echo(content json.RawMessage) []string {
	var text string
	if json.Unmarshal(content, &text) != nil {
		var parts []struct{ Text string }
		json.Unmarshal(content, &parts)
		for _, p := range parts {
			text += p.Text
		}
	}
	if len(text) > maxEcho {
		text = fmt.Sprintf("You said %d bytes, starting: %s", len(text), strings.ToValidUTF8(text[:maxEcho], ""))
	} else {
		text = "You said: " + text
	}
	words := strings.SplitAfter(text, " ")
	var out []string
	for len(words) > 0 {
		n := min(len(words), 4)
		out = append(out, strings.Join(words[:n], ""))
		words = words[n:]
	}
	return out
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// fail answers in the OpenAI error envelope llama.cpp's server uses.
func fail(w http.ResponseWriter, status int, msg, typ string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":{"code":%d,"message":%s,"type":%q}}`, status, quote(msg), typ)
}
