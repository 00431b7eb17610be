package ollama

import "github.com/switchyard/switchyard/internal/jsonscan"

// Almost every line of an answer is one token:
//
//	{"model":"…","created_at":"…","message":{"role":"assistant","content":"…"},"done":false}
//
// and the last adds done_reason and the timings; encoding/json spends
// about as long on each as the rest of the relay does. decodeTokenLine
// reads exactly those shapes (any order, with "thinking" too) and nothing
// else: anything it does not know, it leaves to json.Unmarshal, which
// gives every line it accepts the same result (FuzzDecodeTokenLine checks
// it).
//
// It allocates nothing but the text of the token: r's message is msg, the
// model's name is r's previous one when the line repeats it, and the
// timestamp is passed over.
func decodeTokenLine(line []byte, r *chatResponse, msg *chatMessage) bool {
	p := jsonscan.New(line)
	model := r.Model
	*r = chatResponse{}
	if !p.Object(func(key []byte) bool {
		switch string(key) {
		case "model":
			return p.StrKnown(&r.Model, model)
		case "created_at":
			return p.SkipPlainString()
		case "done":
			return p.Bool(&r.Done)
		case "done_reason":
			return p.Str(&r.DoneReason)
		case "total_duration":
			return p.Int(&r.TotalDuration)
		case "load_duration":
			return p.Int(&r.LoadDuration)
		case "prompt_eval_duration":
			return p.Int(&r.PromptEvalDuration)
		case "eval_duration":
			return p.Int(&r.EvalDuration)
		case "prompt_eval_count":
			var n int64
			ok := p.Int(&n)
			r.PromptEvalCount = int(n)
			return ok && int64(r.PromptEvalCount) == n
		case "eval_count":
			var n int64
			ok := p.Int(&n)
			r.EvalCount = int(n)
			return ok && int64(r.EvalCount) == n
		case "message":
			// A second "message" goes into the first, as encoding/json
			// decodes it.
			if r.Message == nil {
				*msg = chatMessage{}
				r.Message = msg
			}
			m := r.Message
			return p.Object(func(key []byte) bool {
				switch string(key) {
				case "role":
					return p.StrKnown(&m.Role, "assistant")
				case "content":
					return p.Str(&m.Content)
				case "thinking":
					return p.Str(&m.Thinking)
				}
				return false
			})
		}
		return false
	}) {
		return false
	}
	return p.End()
}
