package router

import (
	"encoding/json"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/policy"
)

// decisionExtras are the keys the decision JSON has beyond the contract's
// example (the contract asks for "at least" those); each is listed in the
// README. A key outside both sets is a change of the external shape and
// must be made on purpose, here.
var decisionExtras = map[string]bool{
	"estimated_tokens_exact": true, // false when the count is an estimate
	"heavy":                  true, // the job met policy.heavy
	"reason_code":            true, // as the X-Switchyard-Reason header
	"secret_kinds":           true, // only when secrets_found
}

// contractDecisionKeys reads the keys of the contract's example decision
// (testdata/decision_contract.json, copied verbatim from CONTRACT.md).
func contractDecisionKeys(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("testdata/decision_contract.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return slices.Sorted(maps.Keys(m))
}

// TestDecisionJSONShape decodes the explain endpoint's answer for accepted
// and refused jobs into maps and compares their keys with the contract's:
// every contract key is there, nothing else but the listed extras, a
// refusal is exactly {"code", "message"}, and chosen is null on refusal.
func TestDecisionJSONShape(t *testing.T) {
	ws := dirsWorkspace{"/src/app": {Privacy: policy.Private, File: "/src/app/.switchyard.yaml"}}
	g := newRig(t, func(o *Options) { o.Workspace = ws })
	job := func(model, content string) string {
		b, _ := json.Marshal(map[string]any{"model": model, "messages": []map[string]string{
			{"role": "system", "content": "/src/app"}, {"role": "user", "content": content}}})
		return string(b)
	}
	cases := []struct {
		name, body  string
		chosen      any
		refusalCode string
	}{
		{"accepted-private-local", job("auto", "hi"), "local", ""},
		{"private-pinned-cloud", job("devstral", "hi"), nil, "privacy_policy"},
		// lenCounter counts a token per 4 bytes: 300,000 tokens, over the
		// local 262,144 window, and private so no cloud may take it.
		{"private-over-window", job("auto", strings.Repeat("abcd", 300000)), nil, "context_length_exceeded"},
	}
	want := contractDecisionKeys(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := g.post(t, "/v1/switchyard/explain", c.body, nil)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %+v", resp.StatusCode, readErr(t, resp))
			}
			var got map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
				t.Fatal(err)
			}
			for _, k := range want {
				if _, ok := got[k]; !ok {
					t.Errorf("the contract's key %q is missing", k)
				}
			}
			for k := range got {
				if !slices.Contains(want, k) && !decisionExtras[k] {
					t.Errorf("key %q is neither the contract's nor a listed extra", k)
				}
			}
			if got["chosen"] != c.chosen {
				t.Errorf("chosen %#v, want %#v", got["chosen"], c.chosen)
			}
			if c.refusalCode == "" {
				if got["refusal"] != nil {
					t.Errorf("refusal %#v, want null", got["refusal"])
				}
				return
			}
			ref, ok := got["refusal"].(map[string]any)
			if !ok {
				t.Fatalf("refusal %#v, want an object", got["refusal"])
			}
			if keys := slices.Sorted(maps.Keys(ref)); !slices.Equal(keys, []string{"code", "message"}) {
				t.Errorf("refusal keys %v, want [code message]", keys)
			}
			if ref["code"] != c.refusalCode || ref["message"] == "" {
				t.Errorf("refusal %v, want code %s and a message", ref, c.refusalCode)
			}
		})
	}
}
