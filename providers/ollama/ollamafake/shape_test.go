package ollamafake

import (
	"bufio"
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
)

// shape maps each JSON path in v to the JSON type found there; array
// elements share the path "[]".
func shape(path string, v any, out map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		out[path] = "object"
		for k, e := range x {
			shape(path+"."+k, e, out)
		}
	case []any:
		out[path] = "array"
		for _, e := range x {
			shape(path+"[]", e, out)
		}
	case string:
		out[path] = "string"
	case float64:
		out[path] = "number"
	case bool:
		out[path] = "bool"
	case nil:
		out[path] = "null"
	}
}

func shapeOf(t *testing.T, b []byte) map[string]string {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("not JSON: %v: %s", err, b)
	}
	out := map[string]string{}
	shape("", v, out)
	return out
}

// sameShape fails unless every path of got is in want with the same type,
// and every path of want not in optional is in got.
func sameShape(t *testing.T, name string, got, want map[string]string, optional func(string) bool) {
	t.Helper()
	for p, typ := range got {
		if w, ok := want[p]; !ok {
			t.Errorf("%s: fake has %s (%s), the sample does not", name, p, typ)
		} else if w != typ {
			t.Errorf("%s: %s is %s in the fake, %s in the sample", name, p, typ, w)
		}
	}
	for _, p := range slices.Sorted(maps.Keys(want)) {
		if _, ok := got[p]; !ok && !optional(p) {
			t.Errorf("%s: the sample has %s, the fake does not", name, p)
		}
	}
}

func readSample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestShowMatchesSample(t *testing.T) {
	f := newTestServer(t, Options{})
	status, _, body := f.post("/api/show", `{"model":"qwen3-coder:30b"}`)
	if status != 200 {
		t.Fatalf("status %d: %s", status, body)
	}
	sample := readSample(t, "show_qwen3moe.json")
	// The sample carries GGUF keys the fake does not model (experts, names).
	sameShape(t, "show", shapeOf(t, body), shapeOf(t, sample), func(p string) bool {
		return strings.HasPrefix(p, ".model_info.general.") || strings.Contains(p, ".expert_") || strings.HasSuffix(p, ".feed_forward_length")
	})
	var got, want struct {
		Parameters string `json:"parameters"`
	}
	json.Unmarshal(body, &got)
	json.Unmarshal(sample, &want)
	if got.Parameters != want.Parameters {
		t.Errorf("parameters differ:\nfake:\n%s\nsample:\n%s", got.Parameters, want.Parameters)
	}
}

func TestListsMatchSamples(t *testing.T) {
	f := newTestServer(t, Options{})
	// Load the model so /api/ps lists it.
	if status, _, body := f.post("/api/chat", `{"model":"qwen3-coder:30b","messages":[{"role":"user","content":"hi"}],"options":{"num_ctx":262144}}`); status != 200 {
		t.Fatalf("chat: %d %s", status, body)
	}
	for _, c := range []struct{ path, sample string }{
		{"/api/tags", "tags.json"}, {"/api/ps", "ps.json"}, {"/api/version", "version.json"},
	} {
		status, _, body := f.get(c.path)
		if status != 200 {
			t.Fatalf("%s: %d", c.path, status)
		}
		sameShape(t, c.path, shapeOf(t, body), shapeOf(t, readSample(t, c.sample)), func(string) bool { return false })
	}
	_, _, body := f.get("/api/ps")
	var ps struct {
		Models []struct {
			ContextLength int `json:"context_length"`
		} `json:"models"`
	}
	json.Unmarshal(body, &ps)
	if len(ps.Models) != 1 || ps.Models[0].ContextLength != 262144 {
		t.Errorf("ps = %s, want the model loaded with 262144", body)
	}
}

// TestChatStreamMatchesSample checks each kind of line (text, tool call,
// final) against the recorded-looking sample.
func TestChatStreamMatchesSample(t *testing.T) {
	f := newTestServer(t, Options{})
	f.srv.Enqueue(Reply{Steps: []Step{
		{Content: "I'll read both files first."},
		{ToolCalls: []ScriptedCall{{Name: "read_file", Arguments: `{"path":"router/plan.go"}`}}},
		{ToolCalls: []ScriptedCall{{Name: "read_file", Arguments: `{"path":"router/plan_test.go","limit":200}`}}},
	}})
	status, hdr, body := f.post("/api/chat", `{"model":"qwen3-coder:30b","messages":[{"role":"user","content":"read plan.go"}],"tools":[{"type":"function","function":{"name":"read_file","parameters":{"type":"object"}}}]}`)
	if status != 200 || hdr.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("status %d, content type %q", status, hdr.Get("Content-Type"))
	}
	kinds := func(b []byte) map[string]map[string]string {
		out := map[string]map[string]string{}
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			s := shapeOf(t, sc.Bytes())
			kind := "text"
			if _, ok := s[".done_reason"]; ok {
				kind = "final"
			} else if _, ok := s[".message.tool_calls"]; ok {
				kind = "tool"
			}
			maps.Copy(func() map[string]string {
				if out[kind] == nil {
					out[kind] = map[string]string{}
				}
				return out[kind]
			}(), s)
		}
		return out
	}
	got, want := kinds(body), kinds(readSample(t, "chat_stream_tools.ndjson"))
	for _, k := range []string{"text", "tool", "final"} {
		if got[k] == nil {
			t.Fatalf("the fake wrote no %s line:\n%s", k, body)
		}
		sameShape(t, k+" line", got[k], want[k], func(string) bool { return false })
	}
	var ids []string
	for line := range strings.Lines(string(body)) {
		var r chatResponse
		json.Unmarshal([]byte(line), &r)
		if r.Message != nil {
			for _, tc := range r.Message.ToolCalls {
				ids = append(ids, tc.ID)
			}
		}
	}
	for _, id := range ids {
		if len(id) != 13 || !strings.HasPrefix(id, "call_") || strings.Trim(id[5:], "abcdefghijklmnopqrstuvwxyz0123456789") != "" {
			t.Errorf("tool call id %q is not call_ + 8 [a-z0-9]", id)
		}
	}
	if len(ids) != 2 || ids[0] == ids[1] {
		t.Errorf("tool call ids %v, want two distinct", ids)
	}
}
