package ingress

import (
	"strings"

	"github.com/switchyard/switchyard/chat"
)

// Assembled is a whole answer gathered from its chunks, for a client that
// did not ask to stream.
type Assembled struct {
	Content   string
	Reasoning string
	// ReasoningSignature is the last signature the thinking carried.
	ReasoningSignature string
	ToolCalls          []chat.ToolCall
	// Finish is the stream's finish reason: tool_calls whenever the answer
	// calls a tool and was not cut by its length, as every dialect reports.
	Finish chat.FinishReason
	// Usage is nil when the upstream reported none.
	Usage *chat.Usage
}

// Assembler gathers a stream's chunks into an Assembled. The zero value is
// ready to use.
type Assembler struct {
	content, reasoning strings.Builder
	signature          string
	calls              []callParts
	byIndex            map[int]int
	finish             chat.FinishReason
	usage              *chat.Usage
}

type callParts struct {
	id, name, signature string
	args                strings.Builder
}

// Add takes one chunk.
func (a *Assembler) Add(c *chat.Chunk) {
	a.content.WriteString(c.Content)
	a.reasoning.WriteString(c.Reasoning)
	if c.ReasoningSignature != "" {
		a.signature = c.ReasoningSignature
	}
	for _, d := range c.ToolCalls {
		if a.byIndex == nil {
			a.byIndex = map[int]int{}
		}
		i, ok := a.byIndex[d.Index]
		if !ok {
			i = len(a.calls)
			a.byIndex[d.Index] = i
			a.calls = append(a.calls, callParts{})
		}
		tc := &a.calls[i]
		if d.ID != "" {
			tc.id = d.ID
		}
		if d.Name != "" {
			tc.name = d.Name
		}
		if d.Signature != "" {
			tc.signature = d.Signature
		}
		tc.args.WriteString(d.Arguments)
	}
	if c.FinishReason != "" {
		a.finish = c.FinishReason
	}
	if c.Usage != nil {
		a.usage = c.Usage
	}
}

// Usage is the usage reported so far, nil when none was.
func (a *Assembler) Usage() *chat.Usage { return a.usage }

// Answer returns what was gathered.
func (a *Assembler) Answer() *Assembled {
	out := &Assembled{Content: a.content.String(), Reasoning: a.reasoning.String(), ReasoningSignature: a.signature,
		Finish: a.finish, Usage: a.usage}
	for i := range a.calls {
		c := &a.calls[i]
		out.ToolCalls = append(out.ToolCalls, chat.ToolCall{ID: c.id, Name: c.name, Arguments: c.args.String(), Signature: c.signature})
	}
	out.Finish = Finish(out.Finish, len(out.ToolCalls) > 0)
	return out
}

// Finish is the finish reason an answer reports: tool_calls when it calls
// a tool and was not cut by its length, stop when the upstream said none.
func Finish(f chat.FinishReason, calledTools bool) chat.FinishReason {
	switch {
	case calledTools && f != chat.FinishLength:
		return chat.FinishToolCalls
	case f == "":
		return chat.FinishStop
	}
	return f
}
