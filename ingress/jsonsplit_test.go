package ingress

import "testing"

func TestSplitBody(t *testing.T) {
	for _, c := range []struct {
		body     string
		ok       bool
		messages int
		members  int
	}{
		{`{"messages":[{"role":"user","content":"hi"}]}`, true, 1, 0},
		{" {\n\"model\" : \"a\\\"}\" ,\t\"messages\":[ {\"content\":\"x\\\\\"} , {\"content\":\"]\"} ] }\n", true, 2, 1},
		{`{"messages":[{"role":"user","content":"a\\\"b"}],"stop":["}"],"n":1}`, true, 1, 2},
		{`{"messages":[{"role":"user","content":"hi"}]} x`, false, 0, 0},
		{`{"messages":[{"role":"user","content":"hi"}]`, false, 0, 0},
		{`{"messages":[]}`, false, 0, 0},
		{`{"messages":null}`, false, 0, 0},
		{`{"messages":[1]}`, false, 0, 0},
		{`{"messages":[{"a":1},]}`, false, 0, 0},
		{`{"MESSAGES":[{"role":"user","content":"hi"}]}`, false, 0, 0},
		{`{"me\u0073sages":[{"role":"user","content":"hi"}]}`, false, 0, 0},
		{`{"messages":[{"a":1}],"messages":[{"a":1}]}`, false, 0, 0},
		{`{"model":"x"}`, false, 0, 0},
		{`{"messages":[{"a":"unterminated}]}`, false, 0, 0},
		{`{"messages":[{"a":1}],"x":}`, false, 0, 0}, // left to the whole decode, which says what is wrong
		{`[]`, false, 0, 0},
		{``, false, 0, 0},
	} {
		s, ok := SplitBody([]byte(c.body), "messages")
		if ok != c.ok || ok && (len(s.Elements) != c.messages || len(s.Members) != c.members) {
			t.Errorf("%q: ok %v, %d messages, %d members; want %v, %d, %d", c.body, ok, len(s.Elements), len(s.Members), c.ok, c.messages, c.members)
		}
	}
}
