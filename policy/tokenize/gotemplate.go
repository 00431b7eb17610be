package tokenize

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/template"
	"text/template/parse"
	"time"
)

// This file executes a model's chat template the way Ollama 0.17.4 does
// (template/template.go Parse and Execute, with its data model and
// template functions). Ollama is not imported: its module would bring its
// whole server in.

// ollamaTemplate is a parsed template.Template.
type ollamaTemplate struct {
	t *template.Template
	// vars are the lowercased identifiers the template uses; a template
	// that uses .Messages is handed the whole conversation, any other is
	// executed once per turn with .System, .Prompt and .Response.
	vars []string
}

// templateFuncs are template.go's funcs. currentDate and yesterdayDate
// print ten characters in any case, which costs the same tokens every day.
var templateFuncs = template.FuncMap{
	"json": func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	},
	"currentDate": func(args ...string) string {
		return time.Now().Format("2006-01-02")
	},
	"yesterdayDate": func(args ...string) string {
		return time.Now().AddDate(0, 0, -1).Format("2006-01-02")
	},
	"toTypeScriptType": func(v any) string {
		if p, ok := v.(ToolProperty); ok {
			return p.ToTypeScriptType()
		}
		if p, ok := v.(*ToolProperty); ok && p != nil {
			return p.ToTypeScriptType()
		}
		return "any"
	},
}

// responseNode is template.go's response: {{ .Response }}, appended to a
// template that names neither .Messages nor .Response.
func responseNode() *parse.ActionNode {
	return &parse.ActionNode{NodeType: parse.NodeAction, Pipe: &parse.PipeNode{NodeType: parse.NodePipe,
		Cmds: []*parse.CommandNode{{NodeType: parse.NodeCommand,
			Args: []parse.Node{&parse.FieldNode{NodeType: parse.NodeField, Ident: []string{"Response"}}}}}}}
}

// parseOllamaTemplate is template.Parse.
func parseOllamaTemplate(s string) (*ollamaTemplate, error) {
	t, err := template.New("").Option("missingkey=zero").Funcs(templateFuncs).Parse(s)
	if err != nil {
		return nil, err
	}
	vars, err := templateVars(t)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(vars, "messages") && !slices.Contains(vars, "response") {
		t.Tree.Root.Nodes = append(t.Tree.Root.Nodes, responseNode())
	}
	return &ollamaTemplate{t: t, vars: vars}, nil
}

// templateVars is Template.Vars: every identifier, lowercased, sorted.
func templateVars(t *template.Template) ([]string, error) {
	set := make(map[string]struct{})
	for _, tt := range t.Templates() {
		if tt.Tree == nil {
			continue
		}
		for _, n := range tt.Root.Nodes {
			ids, err := identifiers(n)
			if err != nil {
				return nil, err
			}
			for _, id := range ids {
				set[strings.ToLower(id)] = struct{}{}
			}
		}
	}
	return slices.Sorted(maps.Keys(set)), nil
}

// identifiers is template.go's Identifiers.
func identifiers(n parse.Node) ([]string, error) {
	switch n := n.(type) {
	case *parse.ListNode:
		var names []string
		for _, c := range n.Nodes {
			ids, err := identifiers(c)
			if err != nil {
				return names, err
			}
			names = append(names, ids...)
		}
		return names, nil
	case *parse.TemplateNode:
		if n.Pipe == nil {
			return nil, errors.New("undefined template specified")
		}
		return identifiers(n.Pipe)
	case *parse.ActionNode:
		if n.Pipe == nil {
			return nil, errors.New("undefined action in template")
		}
		return identifiers(n.Pipe)
	case *parse.BranchNode:
		if n.Pipe == nil {
			return nil, errors.New("undefined branch")
		}
		names, err := identifiers(n.Pipe)
		if err != nil {
			return names, err
		}
		for _, l := range []*parse.ListNode{n.List, n.ElseList} {
			if l != nil {
				ids, err := identifiers(l)
				if err != nil {
					return names, err
				}
				names = append(names, ids...)
			}
		}
		return names, nil
	case *parse.IfNode:
		return identifiers(&n.BranchNode)
	case *parse.RangeNode:
		return identifiers(&n.BranchNode)
	case *parse.WithNode:
		return identifiers(&n.BranchNode)
	case *parse.PipeNode:
		var names []string
		for _, c := range n.Cmds {
			for _, a := range c.Args {
				ids, err := identifiers(a)
				if err != nil {
					return names, err
				}
				names = append(names, ids...)
			}
		}
		return names, nil
	case *parse.FieldNode:
		return n.Ident, nil
	case *parse.VariableNode:
		return n.Ident, nil
	}
	return nil, nil
}

// The template data model: template.go's templateMessage, templateToolCall,
// templateToolCallFunction, templateArgs, templateTool and its parts, with
// their String methods (what a template prints for them).

// imageData is api.ImageData. Templates never see the bytes, only how
// many images there are, so images are empty ones.
type imageData []byte

type templateMessage struct {
	Role       string
	Content    string
	Thinking   string
	Images     []imageData
	ToolCalls  []templateToolCall
	ToolName   string
	ToolCallID string
}

type templateToolCall struct {
	ID       string
	Function templateToolCallFunction
}

type templateToolCallFunction struct {
	Index     int
	Name      string
	Arguments templateArgs
}

type templateArgs map[string]any

func (t templateArgs) String() string {
	if t == nil {
		return "{}"
	}
	b, _ := json.Marshal(map[string]any(t))
	return string(b)
}

type templateTools []templateTool

func (t templateTools) String() string {
	b, _ := json.Marshal(t)
	return string(b)
}

type templateTool struct {
	Type     string               `json:"type"`
	Items    any                  `json:"items,omitempty"`
	Function templateToolFunction `json:"function"`
}

type templateToolFunction struct {
	Name        string                         `json:"name"`
	Description string                         `json:"description"`
	Parameters  templateToolFunctionParameters `json:"parameters"`
}

type templateToolFunctionParameters struct {
	Type       string             `json:"type"`
	Defs       any                `json:"$defs,omitempty"`
	Items      any                `json:"items,omitempty"`
	Required   []string           `json:"required,omitempty"`
	Properties templateProperties `json:"properties"`
}

type templateProperties map[string]ToolProperty

func (t templateProperties) String() string {
	if t == nil {
		return "{}"
	}
	b, _ := json.Marshal(map[string]ToolProperty(t))
	return string(b)
}

// collate is template.go's collate: consecutive messages of one role but
// "tool" merge into one, joined by "\n\n"; the system messages, joined the
// same way, are also returned apart as .System. msgs is not modified: a
// merged message is a copy.
func collate(msgs []PromptMessage) (string, []*PromptMessage) {
	var system []string
	var collated []*PromptMessage
	// Contents of the run being merged, joined once at its end: agents
	// send long runs of user messages, and appending to a growing string
	// one message at a time would copy it over and over.
	var run []string
	flush := func() {
		if len(run) > 1 {
			merged := *collated[len(collated)-1]
			merged.Content = strings.Join(run, "\n\n")
			collated[len(collated)-1] = &merged
		}
		run = run[:0]
	}
	for i := range msgs {
		if msgs[i].Role == "system" {
			system = append(system, msgs[i].Content)
		}
		if n := len(collated); n > 0 && collated[n-1].Role == msgs[i].Role && msgs[i].Role != "tool" {
			run = append(run, msgs[i].Content)
			continue
		}
		flush()
		collated = append(collated, &msgs[i])
		run = append(run, msgs[i].Content)
	}
	flush()
	return strings.Join(system, "\n\n"), collated
}

func templateMessages(msgs []*PromptMessage) []*templateMessage {
	if msgs == nil {
		return nil
	}
	out := make([]*templateMessage, len(msgs))
	for i, m := range msgs {
		var calls []templateToolCall
		for _, tc := range m.ToolCalls {
			calls = append(calls, templateToolCall{ID: tc.ID, Function: templateToolCallFunction{
				Index: tc.Function.Index, Name: tc.Function.Name, Arguments: templateArgs(tc.Function.Arguments.toMap())}})
		}
		var images []imageData
		if m.Images > 0 {
			images = make([]imageData, m.Images)
		}
		out[i] = &templateMessage{Role: m.Role, Content: m.Content, Thinking: m.Thinking, Images: images,
			ToolCalls: calls, ToolName: m.ToolName, ToolCallID: m.ToolCallID}
	}
	return out
}

func templateToolsOf(tools []PromptTool) templateTools {
	if tools == nil {
		return nil
	}
	out := make(templateTools, len(tools))
	for i, t := range tools {
		p := &t.Function.Parameters
		out[i] = templateTool{Type: t.Type, Items: t.Items, Function: templateToolFunction{
			Name: t.Function.Name, Description: t.Function.Description,
			Parameters: templateToolFunctionParameters{Type: p.Type, Defs: p.Defs, Items: p.Items,
				Required: p.Required, Properties: templateProperties(p.Properties.toMap())}}}
	}
	return out
}

// execute is template.go's Template.Execute for a chat (no suffix).
func (t *ollamaTemplate) execute(w io.Writer, msgs []PromptMessage, tools []PromptTool, think Think) error {
	system, messages := collate(msgs)
	if slices.Contains(t.vars, "messages") {
		return t.t.Execute(w, map[string]any{
			"System":     system,
			"Messages":   templateMessages(messages),
			"Tools":      templateToolsOf(tools),
			"Response":   "",
			"Think":      think.Bool(),
			"ThinkLevel": think.String(),
			"IsThinkSet": think.Set,
		})
	}
	return t.executeLegacy(w, messages, think)
}

// executeLegacy renders a template without .Messages once per exchange,
// then the last one cut before its {{ .Response }}.
func (t *ollamaTemplate) executeLegacy(w io.Writer, messages []*PromptMessage, think Think) error {
	var b strings.Builder
	var system, prompt, response string
	data := func() map[string]any {
		return map[string]any{"System": system, "Prompt": prompt, "Response": response,
			"Think": think.Bool(), "ThinkLevel": think.String(), "IsThinkSet": think.Set}
	}
	execute := func() error {
		if err := t.t.Execute(&b, data()); err != nil {
			return err
		}
		system, prompt, response = "", "", ""
		return nil
	}
	for _, m := range messages {
		switch m.Role {
		case "system":
			if prompt != "" || response != "" {
				if err := execute(); err != nil {
					return err
				}
			}
			system = m.Content
		case "user":
			if response != "" {
				if err := execute(); err != nil {
					return err
				}
			}
			prompt = m.Content
		case "assistant":
			response = m.Content
		}
	}

	var cut bool
	nodes := deleteNode(t.t.Root.Copy(), func(n parse.Node) bool {
		if f, ok := n.(*parse.FieldNode); ok && slices.Contains(f.Ident, "Response") {
			cut = true
			return false
		}
		return cut
	})
	list, ok := nodes.(*parse.ListNode)
	if !ok {
		return fmt.Errorf("template: nothing left before .Response")
	}
	// As in Ollama, the cut tree runs in a template of its own: no
	// functions and default missingkey.
	tail, err := template.New("").AddParseTree("", &parse.Tree{Root: list})
	if err != nil {
		return err
	}
	if err := tail.Execute(&b, data()); err != nil {
		return err
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// deleteNode is template.go's deleteNode: it drops every node fn selects.
func deleteNode(n parse.Node, fn func(parse.Node) bool) parse.Node {
	var walk func(n parse.Node) parse.Node
	walk = func(n parse.Node) parse.Node {
		if fn(n) {
			return nil
		}
		switch t := n.(type) {
		case *parse.ListNode:
			var nodes []parse.Node
			for _, c := range t.Nodes {
				if n := walk(c); n != nil {
					nodes = append(nodes, n)
				}
			}
			t.Nodes = nodes
			return t
		case *parse.IfNode:
			t.BranchNode = *(walk(&t.BranchNode).(*parse.BranchNode))
		case *parse.WithNode:
			t.BranchNode = *(walk(&t.BranchNode).(*parse.BranchNode))
		case *parse.RangeNode:
			t.BranchNode = *(walk(&t.BranchNode).(*parse.BranchNode))
		case *parse.BranchNode:
			t.List = walk(t.List).(*parse.ListNode)
			if t.ElseList != nil {
				t.ElseList = walk(t.ElseList).(*parse.ListNode)
			}
		case *parse.ActionNode:
			n := walk(t.Pipe)
			if n == nil {
				return nil
			}
			t.Pipe = n.(*parse.PipeNode)
		case *parse.PipeNode:
			var commands []*parse.CommandNode
			for _, c := range t.Cmds {
				var args []parse.Node
				for _, a := range c.Args {
					if n := walk(a); n != nil {
						args = append(args, n)
					}
				}
				if len(args) == 0 {
					return nil
				}
				c.Args = args
				commands = append(commands, c)
			}
			if len(commands) == 0 {
				return nil
			}
			t.Cmds = commands
		}
		return n
	}
	return walk(n)
}
