package chat

// JoinAssistantTurns returns msgs with every run of consecutive assistant
// messages joined into one: their content in order (a blank line between
// two texts), their reasoning, and their tool calls. Dialects whose
// history holds one item per call (OpenAI Responses: a message item, then
// a function_call item for each call) decode each item on its own, so a
// turn that said something and called two tools arrives as three assistant
// messages; vendors that pair each assistant message's calls with the tool
// messages after it (OpenAI chat completions, Mistral: "Not the same
// number of function calls and responses") need them as the one turn they
// were. msgs is returned as it is, without a copy, when no run has more
// than one message.
func JoinAssistantTurns(msgs []Message) []Message {
	runs := false
	for i := 1; i < len(msgs); i++ {
		if msgs[i].Role == RoleAssistant && msgs[i-1].Role == RoleAssistant {
			runs = true
			break
		}
	}
	if !runs {
		return msgs
	}
	out := make([]Message, 0, len(msgs))
	for i := 0; i < len(msgs); i++ {
		m := msgs[i]
		if m.Role != RoleAssistant || i+1 == len(msgs) || msgs[i+1].Role != RoleAssistant {
			out = append(out, m)
			continue
		}
		// A run: build a new message, so msgs' own slices are never
		// appended to.
		j := Message{Role: RoleAssistant, Name: m.Name}
		for ; i < len(msgs) && msgs[i].Role == RoleAssistant; i++ {
			n := &msgs[i]
			if n.Text() != "" && j.Text() != "" {
				j.Content = append(j.Content, Part{Type: PartText, Text: "\n\n"})
			}
			j.Content = append(j.Content, n.Content...)
			j.Reasoning = append(j.Reasoning, n.Reasoning...)
			j.ToolCalls = append(j.ToolCalls, n.ToolCalls...)
		}
		i--
		if j.Content == nil && len(j.ToolCalls) == 0 {
			j.Content = []Part{}
		}
		out = append(out, j)
	}
	return out
}
