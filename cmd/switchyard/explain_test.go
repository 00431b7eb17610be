package main

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/configs"
	"github.com/switchyard/switchyard/providers/ollama/ollamafake"
)

// TestExplainCommandDecisionShape: `switchyard explain` prints the contract's
// decision JSON, a refusal as {"code", "message"} with chosen null, with the
// same keys the explain endpoint answers (router's TestDecisionJSONShape
// checks those against the contract's example, which both tests read).
func TestExplainCommandDecisionShape(t *testing.T) {
	fake := ollamafake.New(ollamafake.Options{Models: []ollamafake.Model{ollamafake.Qwen3Coder30B()}})
	up := httptest.NewServer(fake)
	defer up.Close()
	dir := t.TempDir()
	seed := seedConfig(t, dir, up.URL)
	seed.Providers = append(seed.Providers, cloudProvider("devstral", configs.KindMistral, "http://127.0.0.1:1/v1", "mistral-medium-3-5", "MISTRAL_TEST_KEY_UNSET", 262144))
	cfg, err := configs.Read(strings.NewReader(configYAML(t, seed)), "t.yaml", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	contract, err := os.ReadFile("../../router/testdata/decision_contract.json")
	if err != nil {
		t.Fatal(err)
	}
	var example map[string]any
	if err := json.Unmarshal(contract, &example); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, model string
		chosen      any
		refused     bool
	}{
		{"accepted", "auto", "local", false},
		{"refused", "devstral", nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errw bytes.Buffer
			body := `{"model":"` + c.model + `","messages":[{"role":"user","content":"hi"}]}`
			if err := explain(context.Background(), cfg, http.Header{}, []byte(body), &out, &errw); err != nil {
				t.Fatalf("%v\n%s", err, errw.String())
			}
			var got map[string]any
			if err := json.Unmarshal(out.Bytes(), &got); err != nil {
				t.Fatalf("%v:\n%s", err, out.String())
			}
			for k := range example {
				if _, ok := got[k]; !ok {
					t.Errorf("the contract's key %q is missing:\n%s", k, out.String())
				}
			}
			if got["chosen"] != c.chosen {
				t.Errorf("chosen %#v, want %#v", got["chosen"], c.chosen)
			}
			ref, isObject := got["refusal"].(map[string]any)
			switch {
			case !c.refused && got["refusal"] != nil:
				t.Errorf("refusal %#v, want null", got["refusal"])
			case c.refused && !isObject:
				t.Errorf("refusal %#v, want an object", got["refusal"])
			case c.refused && !slices.Equal(slices.Sorted(maps.Keys(ref)), []string{"code", "message"}):
				t.Errorf("refusal %v, want exactly code and message", ref)
			case c.refused && ref["code"] != "privacy_policy":
				t.Errorf("refusal code %v, want privacy_policy", ref["code"])
			}
		})
	}
}
