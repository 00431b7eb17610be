// Package realollama runs a real Ollama server for integration tests.
//
// The server is Ollama 0.17.4 built CPU-only from the Go module proxy by
// .ci/install-ollama.sh. It serves a tiny random-weight model of the Qwen2
// architecture that carries the real Qwen3 tokenizer, so everything the
// router depends on that is not model quality is a real Ollama's: context
// window and num_ctx handling, truncation, prompt_eval_count, timings,
// NDJSON streaming, /api/show.
//
// Only tests import this package; it is never linked into switchyard. Tests
// that start a server carry the build tag "integration" so that plain
// `go test ./...` stays hermetic:
//
//	bash .ci/install-ollama.sh
//	go test -tags integration ./providers/ollama/realollama/...
//
// A test binary that calls Start must run its tests through Main, which
// removes the model store shared by every server of that binary:
//
//	func TestMain(m *testing.M) { realollama.Main(m) }
package realollama
