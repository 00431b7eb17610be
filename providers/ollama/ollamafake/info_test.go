package ollamafake

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

func TestShowVerboseVocabulary(t *testing.T) {
	fh, err := os.Open("testdata/qwen3-subset/tokenizer.json")
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	v, err := VocabularyFromTokenizerJSON(fh, "qwen2")
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Tokens) != 516 || v.Tokens[0] != "!" || v.Tokens[512] != "<|endoftext|>" || v.TokenTypes[512] != 3 || v.TokenTypes[0] != 1 {
		t.Fatalf("vocabulary: %d tokens, [0]=%q [512]=%q types %v", len(v.Tokens), v.Tokens[0], v.Tokens[512], v.TokenTypes[510:])
	}
	if len(v.Merges) != 128 || v.Merges[0] != "Ġ Ġ" {
		t.Fatalf("merges: %d, first %q", len(v.Merges), v.Merges[0])
	}
	m := Qwen3Coder30B()
	m.Vocabulary = v
	f := newTestServer(t, Options{Models: []Model{m}})

	type mi struct {
		ModelInfo map[string]json.RawMessage `json:"model_info"`
	}
	for _, verbose := range []bool{false, true} {
		body := `{"model":"qwen3-coder:30b"}`
		if verbose {
			body = `{"model":"qwen3-coder:30b","verbose":true}`
		}
		status, _, b := f.post("/api/show", body)
		if status != 200 {
			t.Fatal(status)
		}
		var got mi
		json.Unmarshal(b, &got)
		tokens := string(got.ModelInfo["tokenizer.ggml.tokens"])
		if !verbose && tokens != "null" {
			t.Errorf("non-verbose tokens %.40s, want null", tokens)
		}
		if verbose && !strings.HasPrefix(tokens, `["!","\"","#"`) {
			t.Errorf("verbose tokens %.40s", tokens)
		}
		if string(got.ModelInfo["tokenizer.ggml.pre"]) != `"qwen2"` {
			t.Errorf("pre %s", got.ModelInfo["tokenizer.ggml.pre"])
		}
	}
}

func TestShowErrors(t *testing.T) {
	f := newTestServer(t, Options{})
	if status, _, b := f.post("/api/show", `{"model":"nope"}`); status != 404 || string(b) != `{"error":"model 'nope' not found"}` {
		t.Errorf("%d %s", status, b)
	}
	if status, _, _ := f.post("/api/show", `{"name":"qwen3-coder:30b"}`); status != 200 {
		t.Errorf("deprecated name: %d", status)
	}
	if status, _, _ := f.post("/api/show", `{`); status != 400 {
		t.Errorf("bad json: %d", status)
	}
}

func TestModelChanges(t *testing.T) {
	f := newTestServer(t, Options{})
	m := Qwen3Coder30B()
	m.Digest = "ffff"
	f.srv.SetModel(m)
	_, _, b := f.get("/api/tags")
	if !strings.Contains(string(b), `"digest":"ffff"`) || strings.Count(string(b), `"name"`) != 1 {
		t.Errorf("tags after SetModel: %s", b)
	}
	f.srv.RemoveModel("qwen3-coder:30b")
	if _, _, b := f.get("/api/tags"); string(b) != `{"models":[]}` {
		t.Errorf("tags after RemoveModel: %s", b)
	}
}
