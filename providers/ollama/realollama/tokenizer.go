package realollama

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// TokenizerDirEnv names a directory holding the Qwen3 tokenizer.json (or
// tokenizer.json.gz) and tokenizer_config.json, overriding the copy in the
// repository's policy/tokenize/testdata/qwen3.
const TokenizerDirEnv = "SWITCHYARD_QWEN3_TOKENIZER_DIR"

// Tokenizer holds the real Qwen3 tokenizer files the tiny model carries.
type Tokenizer struct {
	// JSON is tokenizer.json, decompressed.
	JSON []byte
	// Config is tokenizer_config.json exactly as found.
	Config []byte
	// Dir is where both were read from.
	Dir string
}

// Qwen3Tokenizer reads the Qwen3 tokenizer from $SWITCHYARD_QWEN3_TOKENIZER_DIR
// or, when that is unset, from policy/tokenize/testdata/qwen3 in this
// repository (located from this source file, so it works from any test
// package's working directory).
func Qwen3Tokenizer() (Tokenizer, error) {
	dir := os.Getenv(TokenizerDirEnv)
	if dir == "" {
		_, self, _, ok := runtime.Caller(0)
		if !ok {
			return Tokenizer{}, fmt.Errorf("realollama: cannot locate the repository; set %s", TokenizerDirEnv)
		}
		// self is <root>/providers/ollama/realollama/tokenizer.go.
		dir = filepath.Join(filepath.Dir(self), "..", "..", "..", "policy", "tokenize", "testdata", "qwen3")
	}
	js, err := readMaybeGzip(filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		return Tokenizer{}, fmt.Errorf("realollama: Qwen3 tokenizer: %w (set %s to a directory holding it)", err, TokenizerDirEnv)
	}
	cfg, err := os.ReadFile(filepath.Join(dir, "tokenizer_config.json"))
	if err != nil {
		return Tokenizer{}, fmt.Errorf("realollama: Qwen3 tokenizer: %w (set %s to a directory holding it)", err, TokenizerDirEnv)
	}
	return Tokenizer{JSON: js, Config: cfg, Dir: dir}, nil
}

// readMaybeGzip reads path, or path+".gz" decompressed when path is absent.
func readMaybeGzip(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return b, err
	}
	gz, gzErr := os.ReadFile(path + ".gz")
	if gzErr != nil {
		if errors.Is(gzErr, fs.ErrNotExist) {
			return nil, fmt.Errorf("neither %s nor %s.gz exists", path, filepath.Base(path))
		}
		return nil, gzErr
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("%s.gz: %w", path, err)
	}
	b, err = io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("%s.gz: %w", path, err)
	}
	return b, nil
}

// ollamaTokenizerConfig returns tokenizer_config.json with bos_token set to
// <|endoftext|>, every other key kept as published.
//
// Qwen publishes bos_token null with add_bos_token false. Ollama's
// converter writes tokenizer.ggml.add_bos_token only for a special token
// it can resolve (convert/tokenizer.go parseTokenizer), and its qwen2
// model defaults add_bos_token to true when the key is missing
// (model/models/qwen2/model.go New), so the published file would make this
// model prepend a BOS token Qwen never adds, and every prompt_eval_count
// would be one too high. Naming the token yields add_bos_token false and
// bos_token_id 151643, the metadata llama.cpp's converter writes for Qwen
// checkpoints (it takes the id from config.json's bos_token_id).
func (t Tokenizer) ollamaTokenizerConfig() ([]byte, error) {
	var cfg map[string]json.RawMessage
	if err := json.Unmarshal(t.Config, &cfg); err != nil {
		return nil, fmt.Errorf("realollama: tokenizer_config.json: %w", err)
	}
	if string(cfg["add_bos_token"]) != "false" {
		return nil, fmt.Errorf("realollama: tokenizer_config.json: add_bos_token is %s, want false", cfg["add_bos_token"])
	}
	cfg["bos_token"] = json.RawMessage(`"<|endoftext|>"`)
	// Unescaped, so the special tokens and chat_template read as
	// published rather than as \u003c|im_start|\u003e.
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(cfg); err != nil {
		return nil, fmt.Errorf("realollama: tokenizer_config.json: %w", err)
	}
	return out.Bytes(), nil
}
