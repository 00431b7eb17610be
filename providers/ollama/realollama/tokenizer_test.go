package realollama

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestQwen3TokenizerIsTheRealOne(t *testing.T) {
	tok, err := Qwen3Tokenizer()
	if err != nil {
		t.Fatal(err)
	}
	var tj struct {
		AddedTokens []struct {
			ID      int    `json:"id"`
			Content string `json:"content"`
		} `json:"added_tokens"`
		Model struct {
			Type   string            `json:"type"`
			Vocab  map[string]int    `json:"vocab"`
			Merges []json.RawMessage `json:"merges"`
		} `json:"model"`
		PreTokenizer struct {
			PreTokenizers []struct {
				Type    string `json:"type"`
				Pattern struct {
					Regex string `json:"Regex"`
				} `json:"pattern"`
			} `json:"pretokenizers"`
		} `json:"pre_tokenizer"`
	}
	if err := json.Unmarshal(tok.JSON, &tj); err != nil {
		t.Fatal(err)
	}
	// The counts NOTICE states for the Qwen3 family.
	if len(tj.Model.Vocab) != 151643 || len(tj.Model.Merges) != 151387 || len(tj.AddedTokens) != 26 {
		t.Errorf("vocab %d, merges %d, added %d; want 151643, 151387, 26",
			len(tj.Model.Vocab), len(tj.Model.Merges), len(tj.AddedTokens))
	}
	ids := map[string]int{}
	for _, a := range tj.AddedTokens {
		ids[a.Content] = a.ID
	}
	if ids["<|endoftext|>"] != qwenEndOfText || ids["<|im_end|>"] != qwenIMEnd || ids["<|im_start|>"] != 151644 {
		t.Errorf("special token ids %v", ids)
	}
	// Ollama names the pre-tokenizer by the sha256 of the Split regexes;
	// this digest is its "qwen2" (convert/tokenizer.go parseTokenizer),
	// what /api/show must then report as tokenizer.ggml.pre.
	h := sha256.New()
	for _, pt := range tj.PreTokenizer.PreTokenizers {
		if pt.Type == "Split" && pt.Pattern.Regex != "" {
			h.Write([]byte(pt.Pattern.Regex))
		}
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != "1ff7f41064896984db5d1bb6ff64fa4bc29007d08c1b439e505b7392777a319e" {
		t.Errorf("pre-tokenizer digest %s is not Ollama's qwen2", got)
	}
}

func TestOllamaTokenizerConfigNamesBOSOnly(t *testing.T) {
	tok, err := Qwen3Tokenizer()
	if err != nil {
		t.Fatal(err)
	}
	out, err := tok.ollamaTokenizerConfig()
	if err != nil {
		t.Fatal(err)
	}
	var orig, got map[string]json.RawMessage
	if err := json.Unmarshal(tok.Config, &orig); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if string(got["bos_token"]) != `"<|endoftext|>"` {
		t.Errorf("bos_token = %s", got["bos_token"])
	}
	for k, v := range orig {
		if k == "bos_token" {
			continue
		}
		var a, b any
		json.Unmarshal(v, &a)
		json.Unmarshal(got[k], &b)
		if ja, jb := mustJSON(t, a), mustJSON(t, b); ja != jb {
			t.Errorf("%s changed: %.80s -> %.80s", k, ja, jb)
		}
	}
	if len(got) != len(orig) {
		t.Errorf("%d keys, want %d", len(got), len(orig))
	}
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestOllamaTokenizerConfigRefuses(t *testing.T) {
	for _, c := range []struct{ name, config, want string }{
		{"adds-bos", `{"add_bos_token": true}`, "add_bos_token is true"},
		{"no-add-bos-key", `{}`, "add_bos_token is"},
		{"not-json", `{`, "tokenizer_config.json"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Tokenizer{Config: []byte(c.config)}.ollamaTokenizerConfig()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestQwen3TokenizerFromEnvDir(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(TokenizerDirEnv, dir)
	if _, err := Qwen3Tokenizer(); err == nil || !strings.Contains(err.Error(), TokenizerDirEnv) {
		t.Fatalf("empty dir: err = %v, want one naming %s", err, TokenizerDirEnv)
	}

	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`{"model":{}}`))
	zw.Close()
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json.gz"), gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), []byte(`{"add_bos_token": false}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tok, err := Qwen3Tokenizer()
	if err != nil {
		t.Fatal(err)
	}
	if string(tok.JSON) != `{"model":{}}` || tok.Dir != dir {
		t.Errorf("got %q from %s", tok.JSON, tok.Dir)
	}

	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), []byte(`plain`), 0o644); err != nil {
		t.Fatal(err)
	}
	if tok, err := Qwen3Tokenizer(); err != nil || string(tok.JSON) != "plain" {
		t.Errorf("uncompressed file not preferred: %q, %v", tok.JSON, err)
	}

	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), nil, 0o000); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(dir, "tokenizer.json"), 0o000)
	if os.Geteuid() != 0 { // root reads mode-000 files
		if _, err := Qwen3Tokenizer(); err == nil {
			t.Error("unreadable tokenizer.json: no error")
		}
	}
}

func TestReadMaybeGzipRejectsCorruptGzip(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "tokenizer.json")
	if err := os.WriteFile(p+".gz", []byte("not gzip"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readMaybeGzip(p); err == nil || !strings.Contains(err.Error(), ".gz") {
		t.Errorf("err = %v, want one naming the .gz file", err)
	}
}
