package ollamafake

import (
	"fmt"
	"strings"
	"time"
)

// Reply scripts one answer of /api/chat. The zero Reply is an empty answer
// that ends with done_reason "stop".
type Reply struct {
	// Status, when non-zero, answers before the stream with that status and
	// {"error": Error} instead of streaming (e.g. 500, 503).
	Status int
	Error  string
	// Steps are emitted in order, one NDJSON line each.
	Steps []Step
	// DoneReason of the final line; "" means "stop". Budget limits
	// (num_predict, or the window with shift:false) override it with
	// "length".
	DoneReason string
	// FirstChunkDelay is waited before anything is written, as a prefill
	// would; Ollama writes its headers only with the first chunk.
	FirstChunkDelay time.Duration
	// PrefillTokensPerSecond, when non-zero, is the prefill speed the fake
	// reports in prompt_eval_duration, and it really takes that long before
	// the first chunk. Zero reports Options.PrefillTokensPerSecond without
	// waiting.
	PrefillTokensPerSecond float64
	// OmitToolCallIDs mimics Ollama before v0.12.10, whose tool calls had
	// no id.
	OmitToolCallIDs bool
}

// Step is one line of a scripted answer, or one event in it.
type Step struct {
	Content  string
	Thinking string
	// ToolCalls arrive whole, with arguments as a JSON object. An empty ID
	// gets a "call_" + 8 [a-z0-9] one, as server/routes.go toolCallId().
	ToolCalls []ScriptedCall
	// Delay is waited before this step (a generation speed).
	Delay time.Duration
	// Error, when set, writes {"error": Error} as this line and ends the
	// answer, as Ollama does for a failure after the stream started.
	Error string
	// Cut aborts the connection here, without the final line.
	Cut bool
}

// ScriptedCall is a tool call in a scripted answer.
type ScriptedCall struct {
	ID        string
	Name      string
	Arguments string // a JSON object; "" means {}
}

// Text returns a Reply that streams the given chunks of content.
func Text(chunks ...string) Reply {
	r := Reply{}
	for _, c := range chunks {
		r.Steps = append(r.Steps, Step{Content: c})
	}
	return r
}

// maxEcho bounds how much of a message the default reply repeats.
const maxEcho = 200

// echo is the default reply: derived from the request so a test can tell
// which request it answers.
func echo(req *ChatRequest) Reply {
	if len(req.Messages) == 0 {
		return Reply{}
	}
	last := req.Messages[len(req.Messages)-1]
	var text string
	switch last.Role {
	case "tool":
		text = fmt.Sprintf("Tool %s returned %d bytes.", last.ToolName, len(last.Content))
	default:
		text = "You said: " + last.Content
		if len(last.Content) > maxEcho {
			text = fmt.Sprintf("You said %d bytes, starting: %s", len(last.Content), strings.ToValidUTF8(last.Content[:maxEcho], ""))
		}
	}
	words := strings.SplitAfter(text, " ")
	r := Reply{}
	for len(words) > 0 {
		n := min(len(words), 4)
		r.Steps = append(r.Steps, Step{Content: strings.Join(words[:n], "")})
		words = words[n:]
	}
	return r
}
