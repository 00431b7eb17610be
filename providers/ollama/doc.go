// Package ollama is the adapter for a local Ollama server. It speaks
// Ollama's native API (POST /api/chat, NDJSON), not its OpenAI-compatible
// /v1 endpoint, because only the native API lets switchyard set the context
// window per request (research/PROVIDERS.md §0.1, ollama/ollama#5356).
//
// Every chat request carries an explicit, stable options.num_ctx and
// "truncate": false, so neither a model definition's PARAMETER num_ctx nor
// Ollama's silent prompt truncation can shrink the window switchyard routed
// for (PROVIDERS.md §3). What the adapter sends is decided from ModelInfo,
// read from /api/show, /api/tags, /api/ps and /api/version by Refresh.
//
// The package ollamafake beside it is a fake Ollama speaking the same wire
// format, for this package's tests and the router's end-to-end tests.
package ollama
