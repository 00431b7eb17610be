package tokenize

import (
	"sync"
	"unsafe"
)

// promptBuffer is what a prompt is rendered into: a byte slice a Counter
// reuses from one request to the next. A megabyte prompt then costs no
// fresh allocation, and on a virtual machine the page faults of fresh
// memory cost more than rendering into it.
//
// It also notes where each long string written with WriteString went
// (refs): a memo of the prompt (promptMemo) can then keep those strings,
// which the caller holds anyway (a message's content, shared by every
// request that carries it), instead of a copy of the prompt. A caller of
// WriteString must not modify the string's bytes afterwards, as Go's
// strings promise.
type promptBuffer struct {
	b    []byte
	refs []promptRef
}

// promptRef is a string written whole at b[at:].
type promptRef struct {
	at int
	s  string
}

// minPromptRef is the shortest string noted as a ref: a shorter one costs
// a memo about as much copied as referred to.
const minPromptRef = 256

func (p *promptBuffer) Write(b []byte) (int, error) {
	p.b = append(p.b, b...)
	return len(b), nil
}

func (p *promptBuffer) WriteString(s string) (int, error) {
	if len(s) >= minPromptRef {
		p.refs = append(p.refs, promptRef{at: len(p.b), s: s})
	}
	p.b = append(p.b, s...)
	return len(s), nil
}

func (p *promptBuffer) WriteByte(c byte) error {
	p.b = append(p.b, c)
	return nil
}

// Grow makes room for n more bytes.
func (p *promptBuffer) Grow(n int) {
	if cap(p.b)-len(p.b) < n {
		nb := make([]byte, len(p.b), len(p.b)+n)
		copy(nb, p.b)
		p.b = nb
	}
}

// reset empties p, and lets go of the strings it referred to.
func (p *promptBuffer) reset() {
	p.b = p.b[:0]
	clear(p.refs)
	p.refs = p.refs[:0]
}

// view is the prompt as a string without a copy: valid until p is written
// to or reused.
func (p *promptBuffer) view() string { return unsafe.String(unsafe.SliceData(p.b), len(p.b)) }

// maxPooledPrompt is the largest buffer kept for reuse.
const maxPooledPrompt = 8 << 20

var promptPool = sync.Pool{New: func() any { return new(promptBuffer) }}

func getPromptBuffer() *promptBuffer { return promptPool.Get().(*promptBuffer) }

func putPromptBuffer(p *promptBuffer) {
	if p != nil && cap(p.b) <= maxPooledPrompt {
		p.reset()
		promptPool.Put(p)
	}
}
