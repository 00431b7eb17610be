package chat

import (
	"reflect"
	"testing"
)

func text(role Role, s string) Message {
	return Message{Role: role, Content: []Part{{Type: PartText, Text: s}}}
}

func TestJoinAssistantTurns(t *testing.T) {
	call := func(id string) Message {
		return Message{Role: RoleAssistant, ToolCalls: []ToolCall{{ID: id, Name: "exec", Arguments: "{}"}}}
	}
	thought := Message{Role: RoleAssistant, Reasoning: []Reasoning{{Text: "think"}}}
	in := []Message{
		text(RoleUser, "go"),
		thought, text(RoleAssistant, "Running two."), call("a"), call("b"),
		{Role: RoleTool, ToolCallID: "a", Content: []Part{{Type: PartText, Text: "1"}}},
		{Role: RoleTool, ToolCallID: "b", Content: []Part{{Type: PartText, Text: "2"}}},
		text(RoleAssistant, "one"), text(RoleAssistant, "two"),
		text(RoleUser, "ok"),
	}
	orig := append([]Message(nil), in...)
	got := JoinAssistantTurns(in)
	want := []Message{
		text(RoleUser, "go"),
		{Role: RoleAssistant, Content: []Part{{Type: PartText, Text: "Running two."}}, Reasoning: []Reasoning{{Text: "think"}},
			ToolCalls: []ToolCall{{ID: "a", Name: "exec", Arguments: "{}"}, {ID: "b", Name: "exec", Arguments: "{}"}}},
		in[5], in[6],
		{Role: RoleAssistant, Content: []Part{{Type: PartText, Text: "one"}, {Type: PartText, Text: "\n\n"}, {Type: PartText, Text: "two"}}},
		text(RoleUser, "ok"),
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("joined:\n got %+v\nwant %+v", got, want)
	}
	if !reflect.DeepEqual(in, orig) {
		t.Fatal("the input was changed")
	}
	plain := []Message{text(RoleUser, "a"), text(RoleAssistant, "b"), text(RoleUser, "c")}
	if r := JoinAssistantTurns(plain); &r[0] != &plain[0] {
		t.Fatal("no run: the slice must come back as it is")
	}
	if r := JoinAssistantTurns([]Message{thought, thought}); len(r) != 1 || r[0].Content == nil {
		t.Fatalf("two thoughts: %+v (content must be empty, not absent)", r)
	}
}
