package jsonscan

import (
	"encoding/json"
	"maps"
	"testing"
)

func TestReplaceMember(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"model":"auto","messages":[{"role":"user","content":"a \"model\": b"}]}`, `{"model":"qwen","messages":[{"role":"user","content":"a \"model\": b"}]}`},
		{` { "stream" : true , "model" : null } `, ` { "stream" : true , "model" : "qwen" } `},
		{`{"messages":[]}`, `{"model":"qwen","messages":[]}`},
		{`{ }`, `{"model":"qwen" }`},
		{`{"model":"a","model":"b"}`, ""},
		{`{"Model":"a"}`, ""},
		{`{"mod\u0065l":"a"}`, ""},
		{`[]`, ""}, {`{"model":}`, ""}, {`{"a":1}x`, ""}, {`{"a":1`, ""},
	} {
		out, ok := ReplaceMember([]byte(c.in), "model", []byte(`"qwen"`))
		if string(out) != c.want || ok != (c.want != "") {
			t.Errorf("%s: %s %v, want %s", c.in, out, ok, c.want)
		}
	}
}

// FuzzReplaceMember: for a JSON object it accepts, the result decodes to
// the same members with the key's value replaced.
func FuzzReplaceMember(f *testing.F) {
	for _, s := range []string{`{"model":"auto","stream":true}`, `{}`, `{"a":{"model":1},"model":[1,{"b":"}"}]}`, `{"a":"\\"}`, `{"model":1,"MODEL":2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, ok := ReplaceMember(in, "model", []byte(`"qwen"`))
		var before map[string]json.RawMessage
		if !ok || json.Unmarshal(in, &before) != nil {
			return
		}
		var after map[string]json.RawMessage
		if err := json.Unmarshal(out, &after); err != nil {
			t.Fatalf("%q became %q: %v", in, out, err)
		}
		before["model"] = json.RawMessage(`"qwen"`)
		if !maps.EqualFunc(before, after, func(a, b json.RawMessage) bool { return string(a) == string(b) }) {
			t.Fatalf("%q became %q", in, out)
		}
	})
}
