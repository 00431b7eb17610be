// Package ollamafake is a fake Ollama server for tests: an http.Handler
// (mount it with httptest.NewServer) that speaks Ollama's native wire format
// and enforces the rules switchyard depends on, each with the source it
// follows. Sources are from the ollama/ollama repository as summarised in
// research/PROVIDERS.md: api/types.go (shapes), server/routes.go (handlers
// and their errors), docs/api.md (documented examples), llm/server.go and
// llm/llama_server.go (the window and truncation).
//
// What it models:
//
//   - POST /api/chat: NDJSON streaming by default (stream absent = true), a
//     single JSON object with stream:false; metrics only on the final
//     done:true object; tool calls whole in one chunk, arguments as an
//     object, ids "call_" + 8 [a-z0-9].
//   - The window: options.num_ctx, else the definition's num_ctx, else
//     Options.DefaultContext (4096, Ollama's historical default), capped at
//     the native length. A longer prompt is silently truncated to about half
//     the window when truncate is absent or true (v0.30.11+), and refused
//     with 400 when truncate is false. Generation that reaches num_predict,
//     or the window with shift:false, ends with done_reason "length".
//   - Errors: 404 for an unknown model, 400 for invalid JSON, thinking on a
//     model without the capability, bad option types or formats.
//   - POST /api/show (verbose or not), GET /api/tags, /api/ps, /api/version.
//
// Replies are scripted per test (Server.Enqueue) or, by default, echo the
// last user message. Every request is recorded (Server.Requests).
package ollamafake
