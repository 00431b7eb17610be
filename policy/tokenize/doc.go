// Package tokenize counts the tokens a model will see, so routing can compare
// a job with a context window that is a hard wall.
//
// Three counters, from exact to rough:
//
//   - BPE is a byte-level BPE tokenizer built from a model's vocabulary (as
//     Ollama's /api/show returns it, or a Hugging Face tokenizer.json). With
//     Qwen's vocabulary and the "qwen2" pre-tokenizer its counts are exactly
//     those of Ollama's own engine, which runs Qwen3-Coder: where that engine
//     differs from Hugging Face (ties between merges, whole-token pieces,
//     what \s matches) it follows Ollama, whose count fills the window.
//   - Estimate is a heuristic for when no vocabulary is available. It errs
//     high and says so (Count.Exact is false).
//   - Correction scales our count by what a cloud provider reports, for
//     providers whose tokenizer we do not have.
//
// Counter puts them together for the router. CountPrompt counts the
// prompt a Renderer renders from a PromptInput: the model's Go template,
// executed as Ollama's template engine executes it, or a port of a
// renderer built into Ollama (qwen3-coder). What goes into a PromptInput is
// the caller's (the Ollama adapter builds it in the pass that builds the
// body it sends, so a count is of what is sent). CountRequest counts a
// request through Qwen3's chat template instead, for when the model's own
// rendering is not known. Both cache counts, since coding agents resend
// the whole conversation every turn.
//
// # Special tokens
//
// Added tokens (Ollama's token types 3 "control" and 4 "user defined"; the
// added_tokens of a tokenizer.json) are matched in any text as single
// tokens, before pre-tokenization, wherever they occur: in the template and
// in message content alike. That is what both Ollama (it tokenizes the
// whole rendered prompt and splits on its special vocabulary) and Hugging
// Face (split_special_tokens: false) do, so a user message that quotes
// "<|im_end|>" costs one token for it, not seven.
//
// # Normalization
//
// Hugging Face's tokenizer.json for Qwen applies NFC before tokenizing;
// Ollama and llama.cpp do not. We count what Ollama feeds the model, so we
// do not normalize either. The two agree on NFC text, which is nearly all
// text; decomposed accents (as macOS file names carry) may differ.
//
// The package is pure: no I/O beyond the io.Reader it is handed, no
// logging, no goroutines.
package tokenize
