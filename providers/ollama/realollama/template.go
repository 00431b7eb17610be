package realollama

// ChatTemplate is the Ollama (Go text/template) chat template of the tiny
// model: Qwen3's ChatML as its Hugging Face chat_template renders it with
// add_generation_prompt, translated to the variables Ollama 0.17.4 passes
// (template/template.go Execute: .Messages with consecutive same-role
// messages merged, .Tools, the json function).
//
// What the router's token counter relies on:
//   - every message is "<|im_start|>{role}\n{content}<|im_end|>\n", five
//     tokens around the content;
//   - the prompt ends with the generation prompt "<|im_start|>assistant\n",
//     three tokens, unless the last message is an assistant turn, which
//     Ollama continues instead (as its library Qwen templates do);
//   - tools go into the system message after its content and "\n\n": a
//     fixed preamble, then one compact JSON object per tool, each on its
//     own line inside <tools></tools>, then the <tool_call> instructions;
//     with tools and no system message the block stands alone;
//   - an assistant's tool calls follow its content as
//     <tool_call>\n{"name": "…", "arguments": {…}}\n</tool_call>, separated
//     by "\n";
//   - consecutive tool results share one user turn, each wrapped in
//     \n<tool_response>\n…\n</tool_response>.
//
// Two differences from Hugging Face are Ollama's, not ours: JSON is
// compact (Go's encoding/json, sorted property keys) where Python's
// json.dumps puts a space after ':' and ','; and Ollama merges consecutive
// messages of one role with "\n\n" before the template sees them.
//
// Qwen3-Coder's own template is different: its Ollama library model
// renders with the built-in qwen3-coder renderer, which lists tools as XML
// (model/renderers/qwen3coder.go). This template is the one the token
// counter models; create a variant with Renderer "qwen3-coder" to measure
// the other.
const ChatTemplate = `{{- $msgs := .Messages }}
{{- $sysFirst := and $msgs (eq (index $msgs 0).Role "system") }}
{{- if .Tools }}<|im_start|>system
{{ if $sysFirst }}{{ (index $msgs 0).Content }}

{{ end }}# Tools

You may call one or more functions to assist with the user query.

You are provided with function signatures within <tools></tools> XML tags:
<tools>
{{- range .Tools }}
{{ json . }}
{{- end }}
</tools>

For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:
<tool_call>
{"name": <function-name>, "arguments": <args-json-object>}
</tool_call><|im_end|>
{{ else if $sysFirst }}<|im_start|>system
{{ (index $msgs 0).Content }}<|im_end|>
{{ end }}
{{- $role := "" }}
{{- range $i, $m := $msgs }}
{{- $rest := slice $msgs $i }}
{{- $last := eq (len $rest) 1 }}
{{- if or (eq .Role "user") (and (eq .Role "system") (ne $i 0)) }}<|im_start|>{{ .Role }}
{{ .Content }}<|im_end|>
{{ else if eq .Role "assistant" }}<|im_start|>assistant
{{ .Content }}
{{- range $j, $c := .ToolCalls }}
{{- if or $j $m.Content }}
{{ end }}<tool_call>
{"name": "{{ .Function.Name }}", "arguments": {{ .Function.Arguments }}}
</tool_call>
{{- end }}
{{- if not $last }}<|im_end|>
{{ end }}
{{- else if eq .Role "tool" }}
{{- if ne $role "tool" }}<|im_start|>user{{ end }}
<tool_response>
{{ .Content }}
</tool_response>
{{- if or $last (ne (index $rest 1).Role "tool") }}<|im_end|>
{{ end }}
{{- end }}
{{- $role = .Role }}
{{- end }}
{{- if and $msgs (ne $role "assistant") }}<|im_start|>assistant
{{ end }}`
