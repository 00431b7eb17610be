package router

import (
	"reflect"
	"testing"
)

// fuzzDecoder is shared by every input, so that inputs meet each other's
// messages in its cache.
var fuzzDecoder = newRequestDecoder(1 << 20)

// FuzzDecodeCached: the cached decoder returns exactly what the dialect's
// Decode returns, error or request, the first time it sees a
// body and the second.
func FuzzDecodeCached(f *testing.F) {
	for _, s := range []string{
		`{"messages":[{"role":"user","content":"hi"}]}`,
		` { "model" : "auto" , "messages" : [ {"role":"user","content":"a \"quoted\" \\ word\\"} , {"role":"assistant","content":"b"} ] , "max_tokens" : 5 } `,
		`{"Messages":[{"role":"user","content":"x"}]}`,
		`{"messages":[{"role":"user","content":"x"}],"messages":[{"role":"user","content":"y"}]}`,
		`{"messages":[{"role":"user","content":"x"}]}}`,
		`{"messages":[]}`, `{"messages":[{"role":"user","content":"x"},]}`, `{"messages":[{"role":"user"}]}`,
		`{"m\u0065ssages":[{"role":"user","content":"x"}]}`,
		`{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","x":[1,{"y":"]}"}]}}}]}`,
		`{"messages":[{"role":"user","content":"x"}],"temperature":"hot"}`,
		`{"messages":[{"role":"user","content":"x"}],"n":2}`,
		`{"messages":[{"role":"user","content":"x"}],"stream":tru}`,
		`{"messages":[{"role":"user","content":"x", "content":[1 2]}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		want, wantErr := oa.Decode(chatPost(), body)
		for pass := range 2 {
			got, memo, gotErr := fuzzDecoder.decode(oa, chatPost(), body)
			if !reflect.DeepEqual(gotErr, wantErr) {
				t.Fatalf("pass %d: %q: error %+v, Decode says %+v", pass, body, gotErr, wantErr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("pass %d: %q:\n got %+v\nwant %+v", pass, body, got, want)
			}
			if memo != nil && (len(memo.messages) != len(got.Chat.Messages) || memo.rest == nil) {
				t.Fatalf("%d entries for %d messages", len(memo.messages), len(got.Chat.Messages))
			}
		}
	})
}
