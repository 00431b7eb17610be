package mistral

import (
	"context"
	"testing"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/providers/mistral/mistralfake"
	"github.com/switchyard/switchyard/providers/retry"
)

func TestHashID(t *testing.T) {
	seen := map[string]string{}
	for _, in := range []string{"call_abc", "call_abd", "", "toolu_01A09q90qw90lq917835lq9", "550e8400-e29b-41d4-a716-446655440000"} {
		for salt := range 3 {
			id := hashID(in, salt)
			if !mistralID.MatchString(id) {
				t.Fatalf("hashID(%q, %d) = %q is not nine letters or digits", in, salt, id)
			}
			if id != hashID(in, salt) {
				t.Fatalf("hashID(%q, %d) is not deterministic", in, salt)
			}
			if prev, dup := seen[id]; dup {
				t.Fatalf("hashID collision between %s and %q/%d", prev, in, salt)
			}
			seen[id] = in
		}
	}
}

// A conversation that started on another provider, moved to Mistral and
// went on: every turn Mistral sees the same ids for the same calls, its own
// ids come back unchanged, and it accepts every turn.
func TestToolIDsAcrossTurns(t *testing.T) {
	f := newFake(t, mistralfake.Options{})
	p := newProvider(t, f.URL, retry.Options{})

	// Turn 1: history from Ollama (call_ + 8 characters).
	conv := []chat.Message{
		user("what's in go.mod?"),
		assistant("", call("call_x7k2m9qa", "read_file", `{"path":"go.mod"}`)),
		result("call_x7k2m9qa", "module example.com/shop"),
		user("and main.go?"),
	}
	f.Enqueue(mistralfake.Reply{ToolCalls: []mistralfake.ToolCall{{Name: "read_file", Arguments: `{"path":"main.go"}`}}})
	a, err := sendChat(t, p, &chat.Request{Messages: conv})
	if err != nil {
		t.Fatal(err)
	}
	mistralsID := a.calls[0].ID
	turn1, _ := f.LastRequest()
	sentForOllama := turn1.Messages[1].ToolCalls[0].ID
	if !mistralID.MatchString(sentForOllama) || turn1.Messages[2].ToolCallID != sentForOllama {
		t.Fatalf("turn 1 sent call %q and result %q", sentForOllama, turn1.Messages[2].ToolCallID)
	}

	// Turn 2: the client appends Mistral's call, as it received it, and the result.
	conv = append(conv, assistant("", a.calls[0]), result(mistralsID, "package main"))
	f.Enqueue(mistralfake.Reply{Text: "Both read."})
	if _, err := sendChat(t, p, &chat.Request{Messages: conv}); err != nil {
		t.Fatal(err)
	}
	turn2, _ := f.LastRequest()
	if turn2.Status != 200 {
		t.Fatalf("turn 2 refused: %s", turn2.Body)
	}
	// roles: user, assistant, tool, assistant(bridge), user, assistant, tool
	if got := turn2.Messages[1].ToolCalls[0].ID; got != sentForOllama {
		t.Errorf("the Ollama call's id changed between turns: %q then %q", sentForOllama, got)
	}
	if got := turn2.Messages[5].ToolCalls[0].ID; got != mistralsID || turn2.Messages[6].ToolCallID != mistralsID {
		t.Errorf("Mistral's own id %q came back as %q / %q", mistralsID, got, turn2.Messages[6].ToolCallID)
	}

	// Turn 3: one more exchange; everything earlier is sent as before.
	conv = append(conv, assistant("Both read."), user("thanks"))
	if _, err := sendChat(t, p, &chat.Request{Messages: conv}); err != nil {
		t.Fatal(err)
	}
	turn3, _ := f.LastRequest()
	for i := range turn2.Messages {
		if string(turn3.Messages[i].Content) != string(turn2.Messages[i].Content) ||
			turn3.Messages[i].ToolCallID != turn2.Messages[i].ToolCallID {
			t.Errorf("message %d changed between turns", i)
		}
	}
}

func TestToolIDCollisions(t *testing.T) {
	// A native id that happens to equal the hash of another call's id: the
	// native keeps its value, the other moves to a salted id, and call and
	// result still agree.
	clash := hashID("call_1", 0)
	req := &chat.Request{Messages: []chat.Message{
		user("go"),
		assistant("", call("call_1", "a", "{}"), call(clash, "b", "{}")),
		result(clash, "rb"),
		result("call_1", "ra"),
	}}
	m := wireJSON(t, req, "devstral-latest")
	ms := wireMsgs(m)
	calls := ms[1]["tool_calls"].([]any)
	id0 := calls[0].(map[string]any)["id"]
	id1 := calls[1].(map[string]any)["id"]
	if id1 != clash || id0 != hashID("call_1", 1) {
		t.Fatalf("ids %v and %v", id0, id1)
	}
	if ms[2]["tool_call_id"] != clash || ms[3]["tool_call_id"] != id0 {
		t.Fatalf("results %v %v", ms[2]["tool_call_id"], ms[3]["tool_call_id"])
	}
}

// The plan for a conversation's first messages does not change when
// messages are added.
func TestToolIDPlanIsStableAsHistoryGrows(t *testing.T) {
	conv := []chat.Message{user("go")}
	var firsts []string
	for turn := range 5 {
		id := "call_turn" + string(rune('a'+turn))
		conv = append(conv, assistant("", call(id, "f", "{}")), result(id, "ok"), user("more"))
		plan, err := planToolCallIDs(conv)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for i := range conv {
			got = append(got, plan.calls[i]...)
		}
		for i, prev := range firsts {
			if got[i] != prev {
				t.Fatalf("turn %d: call %d moved from %q to %q", turn, i, prev, got[i])
			}
		}
		firsts = got
	}
}

// Ids reused across turns (servers that number calls per answer, call_0,
// call_1, …) are fine: pairing is per assistant message.
func TestReusedIDsAcrossTurns(t *testing.T) {
	f := newFake(t, mistralfake.Options{})
	req := &chat.Request{Messages: []chat.Message{
		user("a"), assistant("", call("call_0", "f", "{}")), result("call_0", "1"),
		assistant("", call("call_0", "f", "{}")), result("call_0", "2"), user("b"),
	}}
	s, err := newProvider(t, f.URL, retry.Options{}).Chat(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}
