package realollama

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"math"
)

// stTensor is one float32 tensor for a safetensors file. Its values are
// produced on demand so a 10-million-element embedding never sits in
// memory.
type stTensor struct {
	name  string
	shape []int
	// values yields the elements in row-major order; it must yield exactly
	// as many as the shape holds.
	values iter.Seq[float32]
}

func (t stTensor) elements() int {
	n := 1
	for _, d := range t.shape {
		n *= d
	}
	return n
}

// stEntry is a tensor's header record. Field names and meaning follow the
// format description in huggingface/safetensors README.md ("Format"):
// dtype, shape, and data_offsets [begin, end) relative to the start of the
// byte buffer that follows the header.
type stEntry struct {
	DType       string   `json:"dtype"`
	Shape       []int    `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// writeSafetensors writes tensors as one safetensors file, all F32
// little-endian, in the order given. metadata goes under "__metadata__",
// which the format restricts to string values.
//
// Layout (huggingface/safetensors README.md, "Format"): an unsigned
// little-endian 64-bit header size N; N bytes of UTF-8 JSON beginning with
// '{', which "MAY be trailing padded with whitespace"; then the byte buffer,
// which must be "entirely indexed" with no holes. The header is padded with
// spaces to a multiple of 8 bytes so every tensor starts 8-byte aligned, as
// the reference implementation does.
func writeSafetensors(w io.Writer, tensors []stTensor, metadata map[string]string) error {
	header := make(map[string]any, len(tensors)+1)
	if len(metadata) > 0 {
		header["__metadata__"] = metadata
	}
	var off int64
	for _, t := range tensors {
		if t.name == "" || t.name == "__metadata__" {
			return fmt.Errorf("safetensors: invalid tensor name %q", t.name)
		}
		if _, dup := header[t.name]; dup {
			return fmt.Errorf("safetensors: duplicate tensor %q", t.name)
		}
		if len(t.shape) == 0 || t.elements() <= 0 {
			return fmt.Errorf("safetensors: tensor %q has empty shape %v", t.name, t.shape)
		}
		size := int64(t.elements()) * 4
		header[t.name] = stEntry{DType: "F32", Shape: t.shape, DataOffsets: [2]int64{off, off + size}}
		off += size
	}
	js, err := json.Marshal(header)
	if err != nil {
		return fmt.Errorf("safetensors: header: %w", err)
	}
	for len(js)%8 != 0 {
		js = append(js, ' ')
	}

	bw := bufio.NewWriterSize(w, 1<<20)
	if err := binary.Write(bw, binary.LittleEndian, uint64(len(js))); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	if _, err := bw.Write(js); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	for _, t := range tensors {
		if err := writeValues(bw, t); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return nil
}

// writeValues writes t's elements as little-endian F32, refusing a count
// that disagrees with the header already written or a non-finite value
// (Ollama's converter would carry it into the GGUF silently).
func writeValues(w io.Writer, t stTensor) error {
	want := t.elements()
	n := 0
	var buf [4]byte
	var err error
	for v := range t.values {
		if n == want {
			return fmt.Errorf("safetensors: tensor %q yields more than its %d elements", t.name, want)
		}
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("safetensors: tensor %q element %d is not finite", t.name, n)
		}
		binary.LittleEndian.PutUint32(buf[:], math.Float32bits(v))
		if _, err = w.Write(buf[:]); err != nil {
			return fmt.Errorf("safetensors: %w", err)
		}
		n++
	}
	if n != want {
		return fmt.Errorf("safetensors: tensor %q yields %d elements, its shape %v holds %d", t.name, n, t.shape, want)
	}
	return nil
}
