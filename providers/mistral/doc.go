// Package mistral is switchyard's adapter for Mistral's chat completions API
// (Devstral and its successors at https://api.mistral.ai/v1).
//
// Mistral speaks a near relative of OpenAI chat completions but validates far
// more strictly: unknown fields are a 422 (additionalProperties: false), tool
// call ids must be nine ASCII letters or digits, and the roles must follow an
// order OpenAI does not impose. The sanitizer (sanitize.go) turns any valid
// chat.Request into a body Mistral accepts; the stream reader (stream.go)
// turns Mistral's answer back into chat.Chunks; errors.go maps Mistral's
// error bodies onto providers.Error kinds.
//
// The rules and their sources (Mistral's OpenAPI schema in
// mistralai/platform-docs-public, the request validator in
// mistralai/mistral-common, and recorded answers quoted in public issues) are
// cited next to the code that follows them. The fake in package mistralfake
// enforces the same rules, so the tests here run against them.
//
// The client is github.com/sashabaranov/go-openai with a custom BaseURL: it
// builds the URL and the Authorization header, turns non-2xx answers into
// errors that keep the body, and frames the server-sent events. Its request
// struct cannot say what Mistral needs, so the JSON body is ours, swapped in
// at the HTTP seam (transport.go).
package mistral
