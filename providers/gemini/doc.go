// Package gemini is the adapter for Google's Gemini API (gemini-2.5-pro and
// successors) through google.golang.org/genai. It turns a chat.Request
// into generateContent contents and config, always streams upstream
// (streamGenerateContent?alt=sse), and hands the answer back as OpenAI-shaped
// chunks.
//
// Decisions a reader of this package should know about:
//
// Output budget. Gemini 2.5 Pro always thinks and its thinking is charged
// against maxOutputTokens (ai.google.dev/gemini-api/docs/thinking), so a
// client's max_tokens passed straight through could be eaten by thinking and
// yield an empty answer. When the client sets max_tokens N, we set an explicit
// thinking budget B and maxOutputTokens = N + B (capped at the model's 65,536
// output limit; B shrinks first, never below the model's 128 minimum). B
// follows reasoning_effort with the values Google's own OpenAI compatibility
// layer uses (low 1,024, medium 8,192, high 24,576; "none"/"minimal" 128,
// because 2.5 Pro cannot turn thinking off); without an effort B is 8,192.
// When the client sets no max_tokens and no effort, both are left to Gemini
// (dynamic thinking, model default output limit).
//
// Thoughts. includeThoughts is never requested: coding agents cannot use
// thought summaries and they cost latency. A thought part that arrives anyway
// goes to Chunk.Reasoning, never to Content.
//
// Tool-call ids and thought signatures. Gemini issues a thoughtSignature on
// function-call parts and rejects a function-call history that lacks it
// (ai.google.dev/gemini-api/docs/thought-signatures). OpenAI clients only
// preserve what the wire format has, so the signature rides inside the
// synthesized tool-call id: "call_<26 random>" + "__thought__" +
// base64url(signature). Ids that would exceed Options.MaxToolCallID carry only
// "call_<26 random>"; their signature waits in a bounded in-memory map (lost
// on restart, then the placeholder below applies). When the history comes
// back, the signature is restored on the part it came from. A function call
// in history whose id carries no signature we know (a conversation begun on
// another provider) gets the documented placeholder
// "skip_thought_signature_validator" on the first call of its step.
//
// Finish reasons. STOP with calls → tool_calls; MAX_TOKENS → length;
// SAFETY, RECITATION, BLOCKLIST, PROHIBITED_CONTENT, SPII, IMAGE_* filters
// and promptFeedback.blockReason → content_filter. MALFORMED_FUNCTION_CALL,
// UNEXPECTED_TOOL_CALL, TOO_MANY_TOOL_CALLS, LANGUAGE, OTHER and anything we
// do not know end the stream with a KindServer error: the model produced no
// usable answer, and "stop" would present an empty or broken turn as a
// finished one. A stream that ends without any finish reason is an error too.
//
// Translation notes. System messages, wherever they sit, join the one
// systemInstruction. Consecutive turns of one role are merged (Gemini wants
// alternation), which also groups tool results into one user content.
// data: images become inlineData; http(s) images become fileData with a
// MIME type from the extension, or a clear KindRequest error. Tool results
// that are JSON objects are the functionResponse as is; anything else is
// {"output": …}. presence/frequency penalties and parallel_tool_calls are
// not sent (2.5 rejects penalties; Gemini has no parallel switch). Our ids
// are never sent to Gemini as functionCall.id: Gemini 2.5 does not issue ids.
//
// Usage. The last usageMetadata wins (each is a running total). Completion
// tokens are candidatesTokenCount + thoughtsTokenCount; ReasoningTokens is
// thoughtsTokenCount; CachedTokens is cachedContentTokenCount.
package gemini
