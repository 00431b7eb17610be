package main

import (
	"fmt"
	"strconv"
	"strings"
)

// agentSetup is how one agent is pointed at switchyard and told its window,
// in the agent's own knobs (each verified against the agent's source or by
// running it; see the comment on each entry).
type agentSetup struct {
	name string
	// speaks is the dialect, for people.
	speaks string
	// file is the agent's settings file under the home directory that
	// --write edits; where says where its settings live for people.
	file, where string
	// env is the environment lines the agent needs (export NAME=value).
	env func(f *setupFacts) []string
	// fragment is what goes in the file, in its format; "" when the agent
	// needs none.
	fragment func(f *setupFacts) string
	// edit merges the fragment into the file's old content.
	edit func(old []byte, f *setupFacts) ([]byte, error)
}

func (a *agentSetup) envLines(f *setupFacts) []string {
	if a.env == nil {
		return nil
	}
	return a.env(f)
}

// print is what `switchyard setup AGENT` prints: a header with the numbers
// and where they come from, the environment, the file's fragment.
func (a *agentSetup) print(f *setupFacts) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s (%s) through switchyard at %s\n", a.name, a.speaks, f.Base)
	fmt.Fprintf(&b, "# repository %s: %s, served by %s\n", orUnknown(f.Repo), f.Privacy, strings.Join(f.Served, ", "))
	fmt.Fprintf(&b, "# window %d tokens (the smallest of those), compaction at %d, answers up to %d\n", f.Window, f.Compact, f.Output)
	if env := a.envLines(f); len(env) > 0 {
		b.WriteString(strings.Join(env, ""))
	}
	if a.fragment != nil {
		fmt.Fprintf(&b, "# in %s:\n", a.where)
		b.WriteString(a.fragment(f))
	}
	return b.String()
}

// token is how an agent's file or environment names switchyard's token:
// a reference to the variable when auth is on (ref formats the agent's
// syntax for it), else a placeholder switchyard ignores.
func token(f *setupFacts, ref func(name string) string) string {
	if f.TokenEnv == "" {
		return "unused-by-switchyard"
	}
	return ref(f.TokenEnv)
}

func shellRef(name string) string { return `"$` + name + `"` }

func itoa(n int) string { return strconv.Itoa(n) }

// jsonFragment renders set applied to an empty object.
func jsonFragment(set func(m map[string]any)) string {
	b, _ := editJSON(nil, set)
	return string(b)
}

var agentSetups = []agentSetup{
	{
		// Claude Code 2.1.328: ANTHROPIC_BASE_URL at switchyard's root. For
		// a model id it does not recognise ("auto") it assumes a window
		// of its own; CLAUDE_CODE_AUTO_COMPACT_WINDOW (or the
		// autoCompactWindow setting) is the window it compacts against
		// ("from CLAUDE_CODE_AUTO_COMPACT_WINDOW" in its /context), and
		// CLAUDE_CODE_MAX_OUTPUT_TOKENS its answer budget. Its settings
		// file's "env" holds the same variables; the token, when auth is
		// on, stays in the shell.
		name: "claude-code", speaks: "Anthropic Messages", file: ".claude/settings.json", where: "~/.claude/settings.json",
		env: func(f *setupFacts) []string {
			var out []string
			for _, kv := range claudeEnv(f) {
				out = append(out, "export "+kv[0]+"="+kv[1]+"\n")
			}
			if f.TokenEnv != "" {
				out = append(out, "export ANTHROPIC_AUTH_TOKEN="+shellRef(f.TokenEnv)+"\n")
			}
			return out
		},
		edit: func(old []byte, f *setupFacts) ([]byte, error) {
			return editJSON(old, func(m map[string]any) {
				for _, kv := range claudeEnv(f) {
					setPath(m, strings.Trim(kv[1], `"`), "env", kv[0])
				}
				if f.TokenEnv != "" {
					// A placeholder from an earlier setup would win over
					// the shell's token.
					if v, _ := m["env"].(map[string]any)["ANTHROPIC_AUTH_TOKEN"].(string); v == "unused-by-switchyard" {
						deletePath(m, "env", "ANTHROPIC_AUTH_TOKEN")
					}
				}
			})
		},
	},
	{
		// Gemini CLI 0.61: GOOGLE_GEMINI_BASE_URL at switchyard's root with
		// API-key auth selected in settings.json. It takes every model for
		// 1,048,576 tokens (tokenLimit in its core) and compresses the
		// conversation when the last prompt passes model.compressionThreshold
		// (a fraction, default 0.5) of that: the threshold is the
		// compaction point over 1,048,576.
		name: "gemini-cli", speaks: "the Gemini API", file: ".gemini/settings.json", where: "~/.gemini/settings.json",
		env: func(f *setupFacts) []string {
			return []string{"export GOOGLE_GEMINI_BASE_URL=" + f.Base + "\n",
				"export GEMINI_API_KEY=" + token(f, shellRef) + "\n"}
		},
		fragment: func(f *setupFacts) string { return jsonFragment(func(m map[string]any) { geminiJSON(m, f) }) },
		edit: func(old []byte, f *setupFacts) ([]byte, error) {
			return editJSON(old, func(m map[string]any) { geminiJSON(m, f) })
		},
	},
	{
		// Codex CLI 0.169: a model provider of its own in config.toml
		// (wire_api responses, the only one it accepts); it compacts when
		// the conversation passes model_auto_compact_token_limit and
		// assumes model_context_window (else 272,000 for a model it does
		// not know). Checked by TestClientsCodexCompacts with the real CLI.
		name: "codex", speaks: "OpenAI Responses", file: ".codex/config.toml", where: "~/.codex/config.toml",
		env: func(f *setupFacts) []string {
			if f.TokenEnv == "" {
				return nil
			}
			return []string{"# " + f.TokenEnv + " must be set where codex runs (it sends it as the bearer token)\n"}
		},
		fragment: func(f *setupFacts) string {
			keys, table, body := codexTOML(f)
			return strings.Join(keys, "\n") + "\n\n" + table + "\n" + strings.Join(body, "\n") + "\n"
		},
		edit: func(old []byte, f *setupFacts) ([]byte, error) {
			keys, table, body := codexTOML(f)
			return editTOML(old, keys, table, body), nil
		},
	},
	{
		// Qwen Code 0.24: OpenAI auth with OPENAI_BASE_URL; in
		// settings.json model.generationConfig.contextWindowSize overrides
		// the window it assumes for the model (its auto-compaction
		// thresholds are computed from it: computeThresholds in its core)
		// and samplingParams.max_tokens is its answer budget.
		name: "qwen-code", speaks: "OpenAI chat completions", file: ".qwen/settings.json", where: "~/.qwen/settings.json",
		env: func(f *setupFacts) []string {
			return []string{"export OPENAI_BASE_URL=" + f.Base + "/v1\n", "export OPENAI_MODEL=auto\n",
				"export OPENAI_API_KEY=" + token(f, shellRef) + "\n"}
		},
		fragment: func(f *setupFacts) string { return jsonFragment(func(m map[string]any) { qwenJSON(m, f) }) },
		edit: func(old []byte, f *setupFacts) ([]byte, error) {
			return editJSON(old, func(m map[string]any) { qwenJSON(m, f) })
		},
	},
	{
		// opencode 1.18: a provider through @ai-sdk/openai-compatible in
		// opencode.json; limit.context and limit.output are what it
		// compacts against (with no limit it never compacts a custom
		// model's conversation), "model" picks it.
		name: "opencode", speaks: "OpenAI chat completions", file: ".config/opencode/opencode.json", where: "~/.config/opencode/opencode.json",
		fragment: func(f *setupFacts) string { return jsonFragment(func(m map[string]any) { opencodeJSON(m, f) }) },
		edit: func(old []byte, f *setupFacts) ([]byte, error) {
			return editJSON(old, func(m map[string]any) { opencodeJSON(m, f) })
		},
	},
	{
		// Crush: an openai-compat provider in crush.json, whose models
		// carry context_window and default_max_tokens
		// (github.com/charmbracelet/crush, internal/config).
		name: "crush", speaks: "OpenAI chat completions", file: ".config/crush/crush.json", where: "~/.config/crush/crush.json",
		fragment: func(f *setupFacts) string { return jsonFragment(func(m map[string]any) { crushJSON(m, f) }) },
		edit: func(old []byte, f *setupFacts) ([]byte, error) {
			return editJSON(old, func(m map[string]any) { crushJSON(m, f) })
		},
	},
	{
		// Continue: a model in config.yaml with provider openai, apiBase,
		// and defaultCompletionOptions.contextLength / maxTokens
		// (docs.continue.dev, config.yaml reference). YAML is the user's
		// to merge: setup prints it.
		name: "continue", speaks: "OpenAI chat completions", where: "~/.continue/config.yaml, under models:",
		fragment: func(f *setupFacts) string {
			return "models:\n" +
				"  - name: switchyard\n" +
				"    provider: openai\n" +
				"    model: auto\n" +
				"    apiBase: " + f.Base + "/v1\n" +
				"    apiKey: " + token(f, func(n string) string { return "${{ secrets." + n + " }}" }) + "\n" +
				"    roles: [chat, edit, apply]\n" +
				"    defaultCompletionOptions:\n" +
				"      contextLength: " + itoa(f.Window) + "\n" +
				"      maxTokens: " + itoa(f.Output) + "\n"
		},
	},
	{
		// Cline keeps its provider settings in VS Code's extension storage,
		// set in its settings panel: setup says what to enter.
		name: "cline", speaks: "OpenAI chat completions", where: "Cline's settings panel (API Provider: OpenAI Compatible)",
		fragment: func(f *setupFacts) string {
			return "#   Base URL:            " + f.Base + "/v1\n" +
				"#   API Key:             " + token(f, func(n string) string { return "the value of $" + n }) + "\n" +
				"#   Model ID:            auto\n" +
				"#   Model Configuration: Context Window Size " + itoa(f.Window) + ", Max Output Tokens " + itoa(f.Output) + "\n"
		},
	},
}

// codexTOML is Codex's part of config.toml: the top-level keys, the
// provider's table header and its body.
func codexTOML(f *setupFacts) (keys []string, table string, body []string) {
	keys = []string{
		`model = "auto"`,
		`model_provider = "switchyard"`,
		`model_context_window = ` + itoa(f.Window),
		`model_auto_compact_token_limit = ` + itoa(f.Compact),
	}
	body = []string{`name = "switchyard"`, `base_url = "` + f.Base + `/v1"`, `wire_api = "responses"`}
	if f.TokenEnv != "" {
		body = append(body, `env_key = "`+f.TokenEnv+`"`)
	}
	return keys, "[model_providers.switchyard]", body
}

func opencodeJSON(m map[string]any, f *setupFacts) {
	m["model"] = "switchyard/auto"
	setPath(m, "@ai-sdk/openai-compatible", "provider", "switchyard", "npm")
	setPath(m, "switchyard", "provider", "switchyard", "name")
	setPath(m, f.Base+"/v1", "provider", "switchyard", "options", "baseURL")
	setPath(m, token(f, func(n string) string { return "{env:" + n + "}" }), "provider", "switchyard", "options", "apiKey")
	setPath(m, map[string]any{"name": "auto", "tool_call": true,
		"limit": map[string]any{"context": f.Window, "output": f.Output}}, "provider", "switchyard", "models", "auto")
}

func crushJSON(m map[string]any, f *setupFacts) {
	setPath(m, map[string]any{
		"name": "switchyard", "type": "openai-compat", "base_url": f.Base + "/v1",
		"api_key": token(f, func(n string) string { return "$" + n }),
		"models": []any{map[string]any{"id": "auto", "name": "auto (switchyard)",
			"context_window": f.Window, "default_max_tokens": f.Output}},
	}, "providers", "switchyard")
}

// claudeEnv is Claude Code's environment, name and value (shell-quoted).
func claudeEnv(f *setupFacts) [][2]string {
	env := [][2]string{
		{"ANTHROPIC_BASE_URL", f.Base},
		{"ANTHROPIC_MODEL", "auto"},
		{"CLAUDE_CODE_AUTO_COMPACT_WINDOW", itoa(f.Window)},
		{"CLAUDE_CODE_MAX_OUTPUT_TOKENS", itoa(f.Output)},
		{"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1"},
	}
	if f.TokenEnv == "" {
		env = append(env, [2]string{"ANTHROPIC_AUTH_TOKEN", "unused-by-switchyard"})
	}
	return env
}

// geminiLimit is what Gemini CLI takes every model's window for.
const geminiLimit = 1048576

func geminiJSON(m map[string]any, f *setupFacts) {
	setPath(m, "gemini-api-key", "security", "auth", "selectedType")
	// Four decimals, rounded down, and never 0 (which it reads as unset).
	th := float64(f.Compact*10000/geminiLimit) / 10000
	if th <= 0 {
		th = 0.0001
	}
	setPath(m, th, "model", "compressionThreshold")
}

func qwenJSON(m map[string]any, f *setupFacts) {
	setPath(m, "openai", "security", "auth", "selectedType")
	setPath(m, f.Window, "model", "generationConfig", "contextWindowSize")
	setPath(m, f.Output, "model", "generationConfig", "samplingParams", "max_tokens")
}
