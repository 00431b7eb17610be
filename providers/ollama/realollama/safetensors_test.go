package realollama

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
)

// readSafetensors parses a file the way the format's README describes it
// (huggingface/safetensors, "Format"), independently of the writer, and
// enforces its rules: header starts with '{', offsets index the whole
// buffer with no holes or overlaps, sizes match dtype and shape.
func readSafetensors(t *testing.T, b []byte) (map[string]stEntry, map[string][]float32) {
	t.Helper()
	if len(b) < 8 {
		t.Fatalf("file of %d bytes has no header size", len(b))
	}
	n := binary.LittleEndian.Uint64(b[:8])
	if n > uint64(len(b)-8) {
		t.Fatalf("header size %d exceeds file", n)
	}
	hdr := b[8 : 8+n]
	if hdr[0] != '{' {
		t.Fatalf("header starts with %q, want '{'", hdr[0])
	}
	if (8+n)%8 != 0 {
		t.Errorf("data starts at %d, not 8-byte aligned", 8+n)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(bytes.TrimRight(hdr, " "), &raw); err != nil {
		t.Fatalf("header: %v", err)
	}
	data := b[8+n:]
	entries := map[string]stEntry{}
	values := map[string][]float32{}
	var spans [][2]int64
	for name, js := range raw {
		if name == "__metadata__" {
			var md map[string]string
			if err := json.Unmarshal(js, &md); err != nil {
				t.Errorf("__metadata__ is not a string map: %v", err)
			}
			continue
		}
		var e stEntry
		if err := json.Unmarshal(js, &e); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if e.DType != "F32" {
			t.Errorf("%s: dtype %s", name, e.DType)
		}
		elems := int64(1)
		for _, d := range e.Shape {
			elems *= int64(d)
		}
		if got := e.DataOffsets[1] - e.DataOffsets[0]; got != elems*4 {
			t.Errorf("%s: %d bytes for shape %v", name, got, e.Shape)
		}
		if e.DataOffsets[1] > int64(len(data)) {
			t.Fatalf("%s: offsets %v beyond buffer of %d", name, e.DataOffsets, len(data))
		}
		vs := make([]float32, elems)
		for i := range vs {
			vs[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[e.DataOffsets[0]+int64(i)*4:]))
		}
		entries[name], values[name] = e, vs
		spans = append(spans, e.DataOffsets)
	}
	slices.SortFunc(spans, func(a, b [2]int64) int { return int(a[0] - b[0]) })
	var at int64
	for _, s := range spans {
		if s[0] != at {
			t.Errorf("buffer has a hole or overlap at %d (next tensor at %d)", at, s[0])
		}
		at = s[1]
	}
	if at != int64(len(data)) {
		t.Errorf("tensors cover %d of %d buffer bytes", at, len(data))
	}
	return entries, values
}

func seq(vs ...float32) func(func(float32) bool) {
	return slices.Values(vs)
}

func TestWriteSafetensorsRoundTrips(t *testing.T) {
	in := []stTensor{
		{name: "b.weight", shape: []int{2, 3}, values: seq(1, -2, 3.5, 0, 1e-8, -65504)},
		{name: "a.bias", shape: []int{1}, values: seq(0.25)},
	}
	var buf bytes.Buffer
	if err := writeSafetensors(&buf, in, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	entries, values := readSafetensors(t, buf.Bytes())
	if len(entries) != 2 {
		t.Fatalf("%d tensors, want 2", len(entries))
	}
	if !slices.Equal(entries["b.weight"].Shape, []int{2, 3}) {
		t.Errorf("shape %v", entries["b.weight"].Shape)
	}
	if !slices.Equal(values["b.weight"], []float32{1, -2, 3.5, 0, 1e-8, -65504}) || !slices.Equal(values["a.bias"], []float32{0.25}) {
		t.Errorf("values %v", values)
	}
	// Written in the order given, so a reader streaming the file sees
	// tensors in checkpoint order.
	if entries["b.weight"].DataOffsets[0] != 0 {
		t.Errorf("first tensor at offset %d", entries["b.weight"].DataOffsets[0])
	}
}

func TestWriteSafetensorsRejects(t *testing.T) {
	nan := float32(math.NaN())
	for _, c := range []struct {
		name    string
		tensors []stTensor
		want    string
	}{
		{"duplicate-name", []stTensor{{name: "x", shape: []int{1}, values: seq(1)}, {name: "x", shape: []int{1}, values: seq(1)}}, "duplicate"},
		{"metadata-name", []stTensor{{name: "__metadata__", shape: []int{1}, values: seq(1)}}, "invalid tensor name"},
		{"empty-shape", []stTensor{{name: "x", values: seq()}}, "empty shape"},
		{"zero-dimension", []stTensor{{name: "x", shape: []int{2, 0}, values: seq()}}, "empty shape"},
		{"too-few-values", []stTensor{{name: "x", shape: []int{3}, values: seq(1, 2)}}, "yields 2 elements"},
		{"too-many-values", []stTensor{{name: "x", shape: []int{1}, values: seq(1, 2)}}, "more than its 1"},
		{"not-finite", []stTensor{{name: "x", shape: []int{2}, values: seq(1, nan)}}, "not finite"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := writeSafetensors(&bytes.Buffer{}, c.tensors, nil)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want one containing %q", err, c.want)
			}
		})
	}
}
