package openaifake

import (
	"fmt"
	"io"
	"net/http"
)

// An engine refuses a prompt it cannot hold rather than cut it, each in
// its own words, before it sends anything (so with a status, streamed or
// not). The fake refuses as the engine it says it is; a bare fake (neither
// LlamaCpp nor VLLM), as the benchmark uses, holds anything.
//
//   - llama.cpp's server (tools/server/server-context.cpp, where a slot
//     starts a task's prompt) refuses a prompt of n_ctx tokens or more, the
//     slot's whole context: the output is not counted, generation stops at
//     the wall. Its error (tools/server/server-task.cpp,
//     server_task_result_error::to_json; server-common.cpp,
//     format_error_response) is HTTP 400 of type exceed_context_size_error,
//     with the two numbers beside the message as n_prompt_tokens and n_ctx.
//   - vLLM (vllm/renderers/params.py, TokenizeParams; the chat request's
//     build_tok_params in vllm/entrypoints/openai/chat_completion/protocol.py)
//     counts the output too: the prompt may have max_model_len less the
//     request's max_completion_tokens (or else max_tokens, or else 0)
//     tokens, and an output budget over max_model_len is refused before the
//     prompt is looked at. Its errors are HTTP 400 in its ErrorResponse
//     envelope (vllm/entrypoints/openai/engine/protocol.py): type
//     BadRequestError, param the field at fault, code the status.

// refuse answers a request the engine would not take for its length, and
// reports whether it did. prompt is the prompt's length in tokens.
func (s *Server) refuse(w http.ResponseWriter, req *request, prompt int) bool {
	switch {
	case s.nCtx > 0 && prompt >= s.nCtx:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		msg := fmt.Sprintf("request (%d tokens) exceeds the available context size (%d tokens), try increasing it", prompt, s.nCtx)
		fmt.Fprintf(w, `{"error":{"code":400,"message":%s,"type":"exceed_context_size_error","n_prompt_tokens":%d,"n_ctx":%d}}`,
			quote(msg), prompt, s.nCtx)
		return true
	case s.maxModelLen > 0:
		param, output := req.outputBudget()
		if output > s.maxModelLen {
			// vLLM's own wording, its missing space included.
			vllmRefuse(w, fmt.Sprintf("%s=%dcannot be greater than max_model_len=max_total_tokens=%d. Please request fewer output tokens.",
				param, output, s.maxModelLen), param)
			return true
		}
		if input := s.maxModelLen - output; prompt > input {
			vllmRefuse(w, fmt.Sprintf("You passed %d input tokens and requested %d output tokens. However, the model's context length is only %d tokens, resulting in a maximum input length of %d tokens. Please reduce the length of the input prompt.",
				prompt, output, s.maxModelLen, input), "input_tokens")
			return true
		}
	}
	return false
}

// outputBudget is the output a request asks for as vLLM reads it, and the
// field that says it.
func (r *request) outputBudget() (param string, tokens int) {
	switch {
	case r.MaxCompletionTokens != nil:
		return "max_completion_tokens", *r.MaxCompletionTokens
	case r.MaxTokens != nil:
		return "max_tokens", *r.MaxTokens
	}
	return "max_tokens", 0
}

func vllmRefuse(w http.ResponseWriter, msg, param string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	io.WriteString(w, `{"error":{"message":`+quote(msg)+`,"type":"BadRequestError","param":`+quote(param)+`,"code":400}}`)
}
