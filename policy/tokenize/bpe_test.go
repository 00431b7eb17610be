package tokenize_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/policy/tokenize/tokenizetest"
)

// sample is one calibration file with its true Qwen3 token count.
type sample struct {
	name   string
	text   string
	tokens int
}

// loadSamples reads testdata/samples, whose true counts (from the Qwen3
// tokenizer, text alone) are in testdata/counts.tsv.
func loadSamples(tb testing.TB) []sample {
	tb.Helper()
	f, err := os.Open(filepath.Join("testdata", "counts.tsv"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []sample
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) != 3 {
			tb.Fatalf("counts.tsv: bad line %q", sc.Text())
		}
		n, err := strconv.Atoi(fields[0])
		if err != nil {
			tb.Fatal(err)
		}
		text, err := os.ReadFile(filepath.Join("testdata", "samples", fields[2]+".txt"))
		if err != nil {
			tb.Fatal(err)
		}
		if size, _ := strconv.Atoi(fields[1]); size != len(text) {
			tb.Fatalf("%s: %d bytes, counts.tsv says %d", fields[2], len(text), size)
		}
		out = append(out, sample{fields[2], string(text), n})
	}
	if len(out) == 0 {
		tb.Fatal("no samples")
	}
	return out
}

func TestBPECountsSamplesExactly(t *testing.T) {
	bpe := tokenizetest.Qwen3BPE(t)
	for _, s := range loadSamples(t) {
		t.Run(s.name, func(t *testing.T) {
			// Twice: cold, then through the word cache.
			for pass := range 2 {
				if got := bpe.Count(s.text); got != s.tokens {
					t.Errorf("pass %d: Count = %d, want %d", pass, got, s.tokens)
				}
			}
			if got := len(bpe.Encode(s.text)); got != s.tokens {
				t.Errorf("len(Encode) = %d, want %d", got, s.tokens)
			}
		})
	}
}
