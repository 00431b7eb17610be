package workspace

// The phrasings coding agents use to state their working directory, as
// recorded from their current releases (testdata/agents holds an excerpt
// of each, with its version and origin). Matching is by phrase, after
// leading list markers ("- ", "4. ") are stripped and ignoring ASCII case;
// the value must be an absolute path, so the same words in prose
// ("Working directory: the folder you opened") do not count.

// dirLabel is a "label: /path" line.
type dirLabel struct {
	label string
	agent string
}

var dirLabels = []dirLabel{
	// opencode 1.18 and Kilo CLI 7.7 (<env> / <environment_details>),
	// Continue CLI 1.5 and Crush (<env>), Cline CLI 3.0 ("4. Working Directory:").
	{"Working directory:", "opencode/Kilo/Continue/Crush/Cline CLI"},
	// opencode and Kilo CLI: the git worktree, "/" outside a repository.
	{"Workspace root folder:", "opencode/Kilo"},
	// Claude Code 2.1 "# Environment" block.
	{"Primary working directory:", "Claude Code"},
	// Cline VS Code extension, SYSTEM INFORMATION section.
	{"Current Working Directory:", "Cline"},
	// Roo Code and the Kilo Code VS Code extension, SYSTEM INFORMATION.
	{"Current Workspace Directory:", "Roo/Kilo Code"},
	// Qwen Code 0.24 and Gemini CLI before its <session_context> block.
	{"I'm currently working in the directory:", "Qwen Code/Gemini CLI"},
}

// dirListHeader is a line after which "- /path" items follow.
type dirListHeader struct {
	header string
	agent  string
}

var dirListHeaders = []dirListHeader{
	// Claude Code with --add-dir.
	{"Additional working directories:", "Claude Code"},
	// Qwen Code (and older Gemini CLI) with several workspace directories.
	{"I'm currently working in the following directories:", "Qwen Code/Gemini CLI"},
	// Gemini CLI 0.61 <session_context>: "- **Workspace Directories:**".
	{"**Workspace Directories:**", "Gemini CLI"},
}

// dirHeadings are Markdown headings of the form "# <words> (/path) Files"
// in the environment_details that Cline, Roo Code and Kilo Code (VS Code)
// append to the first user message.
var dirHeadings = []dirLabel{
	{"Current Working Directory (", "Cline"},
	{"Current Workspace Directory (", "Roo/Kilo Code"},
}

// Codex CLI 0.171 puts <environment_context> with <cwd> and
// <workspace_roots><root>… in the first user input item.
const (
	codexCwdOpen    = "<cwd>"
	codexCwdClose   = "</cwd>"
	codexRootsOpen  = "<workspace_roots>"
	codexRootsClose = "</workspace_roots>"
	codexRootOpen   = "<root>"
	codexRootClose  = "</root>"
	codexAgent      = "Codex CLI"
)
