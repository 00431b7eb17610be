package tokenize

import (
	"compress/gzip"
	"encoding/base64"
	"encoding/hex"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// calibrate names corpus files, a comma-separated list of globs, from
// which TestCalibrateEstimate prints the tables of estimate_tables.go.
// Each glob is one class of text; every class contributes at most
// calibrateClassBytes, so no one class outweighs the others.
var calibrate = flag.String("calibrate", "", "comma-separated globs of corpus files to calibrate the estimator on")

const calibrateClassBytes = 4 << 20

func TestCalibrateEstimate(t *testing.T) {
	if *calibrate == "" {
		t.Skip("set -calibrate to print new estimator tables")
	}
	bpe := loadQwen3(t)
	var count, tokens [numKinds][numLeads][tableLen]float64
	var longN, longTok, longCount [numKinds][numLeads]float64
	var total, files int
	for _, glob := range strings.Split(*calibrate, ",") {
		paths, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		class := 0
		for _, path := range paths {
			b, err := os.ReadFile(path)
			if err != nil || class >= calibrateClassBytes {
				continue
			}
			class += len(b)
			files++
			s := string(b)
			for len(s) > 0 {
				at, l := bpe.specials.next(s)
				seg := s[:at]
				for i := 0; i < len(seg); {
					j := nextPiece(seg, i)
					p := seg[i:j]
					i = j
					if c, w := classAt(p, 0); len(p) == 1 || (c == classNumber && w == len(p)) {
						continue
					}
					k, ld, n := classifyPiece(p)
					got := float64(bpe.countPiece(p))
					if n < tableLen {
						count[k][ld][n]++
						tokens[k][ld][n] += got
						continue
					}
					longCount[k][ld]++
					longN[k][ld] += float64(n - (tableLen - 1))
					longTok[k][ld] += got
				}
				s = s[at+l:]
			}
		}
		total += class
	}
	var out strings.Builder
	fmt.Fprintf(&out, "// calibrated on %d files, %d bytes\nvar estimateTables = [numKinds][numLeads]estimateTable{\n", files, total)
	for k := range pieceKind(numKinds) {
		fmt.Fprintf(&out, "\t%s: {\n", kindNames[k])
		for ld := range lead(numLeads) {
			count, tokens, longCount, longN, longTok := &count[k][ld], &tokens[k][ld], longCount[k][ld], longN[k][ld], longTok[k][ld]
			var mean [tableLen]float64
			last := 1.0
			for n := range tableLen {
				if count[n] >= 20 {
					last = max(tokens[n]/count[n], last)
				}
				// Means never fall with length: a sparse longer bucket must
				// not undercut a denser shorter one.
				mean[n] = last
			}
			// Past the table a piece costs at least the table's average rate
			// per unit of length, or what long pieces were seen to cost.
			tail := mean[tableLen-1] / (tableLen - 1)
			if longCount >= 20 {
				tail = max((longTok-longCount*mean[tableLen-1])/longN, tail)
			}
			fmt.Fprintf(&out, "\t\t%s: {tail: %.3f, mean: [tableLen]float64{", leadNames[ld], tail)
			for n, m := range mean {
				if n > 0 {
					out.WriteString(", ")
				}
				fmt.Fprintf(&out, "%.3f", m)
			}
			out.WriteString("}},\n")
		}
		out.WriteString("\t},\n")
	}
	out.WriteString("}\n")
	fmt.Print(out.String())
}

var leadNames = [numLeads]string{"leadNone", "leadSpace", "leadOther"}

var kindNames = [numKinds]string{"kindWordLower", "kindWordTitle", "kindWordUpper", "kindWordMixed", "kindWordCJK", "kindWordOther", "kindPunct", "kindSymbol", "kindSpace", "kindNewline"}

// loadQwen3 builds the Qwen3 tokenizer from testdata for tests inside the
// package (which cannot import tokenizetest: it imports this package).
func loadQwen3(tb testing.TB) *BPE {
	tb.Helper()
	qwen3Once.Do(func() { qwen3BPE, qwen3Err = buildQwen3() })
	if qwen3Err != nil {
		tb.Fatal(qwen3Err)
	}
	return qwen3BPE
}

var (
	qwen3Once sync.Once
	qwen3BPE  *BPE
	qwen3Err  error
)

func buildQwen3() (*BPE, error) {
	f, err := os.Open(filepath.Join("testdata", "qwen3", "tokenizer.json.gz"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	v, err := LoadTokenizerJSON(zr)
	if err != nil {
		return nil, err
	}
	return NewBPE(v)
}

// TestBlobRates checks the per-byte rates Estimate uses for base64 and
// hex blobs against the true cost of random blobs, which is what
// compressed images, hashes and keys look like to a tokenizer.
func TestBlobRates(t *testing.T) {
	bpe := loadQwen3(t)
	rnd := rand.New(rand.NewPCG(1, 2))
	raw := make([]byte, 3<<16)
	for i := range raw {
		raw[i] = byte(rnd.Uint32())
	}
	for _, c := range []struct {
		name string
		text string
		rate float64
	}{
		{"base64", base64.StdEncoding.EncodeToString(raw), base64PerByte},
		{"hex", hex.EncodeToString(raw), hexPerByte},
	} {
		got := float64(bpe.Count(c.text)) / float64(len(c.text))
		t.Logf("%s: %.3f tokens per byte, Estimate uses %.3f", c.name, got, c.rate)
		if c.rate < got || c.rate > got*1.1 {
			t.Errorf("%s: Estimate's %.3f tokens per byte should be within 10%% above the true %.3f", c.name, c.rate, got)
		}
	}
}

func readSample(tb testing.TB, name string) string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "samples", name+".txt"))
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}
