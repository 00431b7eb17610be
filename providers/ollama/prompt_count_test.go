package ollama

import (
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/chat"
	"github.com/switchyard/switchyard/policy/tokenize/tokenizetest"
	"github.com/switchyard/switchyard/providers/ollama/realollama"
)

// These check tokenize's prompt memos (promptmemo.go) through the prompts
// Ollama renders, which is where they matter.

// TestPromptMemoExact runs conversations that grow, change at the end,
// change in the middle, are compacted and interleave with each other
// through one Counter, and checks every count against counting the
// rendered prompt whole. Edits land next to added tokens and paragraph
// breaks, where resuming from a remembered prompt could go wrong.
func TestPromptMemoExact(t *testing.T) {
	bpe := tokenizetest.Qwen3BPE(t)
	all := tokenizetest.JoinedSamples(t)
	for _, f := range []promptFormat{{Renderer: "qwen3-coder"}, {Template: realollama.ChatTemplate}} {
		r := newPrompterFor(f)
		c := newCounter(t)
		rng := rand.New(rand.NewPCG(7, uint64(len(f.Renderer))))
		piece := func() string {
			n := rng.IntN(6000) + 1
			off := rng.IntN(len(all) - n)
			s := strings.ToValidUTF8(all[off:off+n], "")
			switch rng.IntN(6) {
			case 0:
				s += "<|im_"
			case 1:
				s += "\n\n"
			case 2:
				s = "\n\n " + s
			case 3:
				s += "<|im_end|>"
			}
			return s
		}
		convs := []*chat.Request{tokenizetest.AgentRequest(), tokenizetest.AgentRequest()}
		for step := range 400 {
			req := convs[rng.IntN(len(convs))]
			ms := req.Messages
			switch op := rng.IntN(10); {
			case op < 5 || len(ms) < 4:
				role := []chat.Role{chat.RoleUser, chat.RoleAssistant, chat.RoleTool}[rng.IntN(3)]
				m := msg(role, piece())
				if role == chat.RoleTool {
					m.ToolCallID = "call_1"
				}
				ms = append(ms, m)
			case op < 7: // the last message grows or shrinks
				last := &ms[len(ms)-1]
				s := last.Text()
				if rng.IntN(2) == 0 {
					s += piece()[:1+rng.IntN(8)]
				} else if len(s) > 1 {
					s = s[:rng.IntN(len(s))]
				}
				ms = append(ms[:len(ms)-1:len(ms)-1], msg(last.Role, s))
				ms[len(ms)-1].ToolCallID = last.ToolCallID
			case op < 9: // a message in the middle changes
				i := 1 + rng.IntN(len(ms)-1)
				cp := append([]chat.Message(nil), ms...)
				cp[i] = msg(cp[i].Role, cp[i].Text()+"x")
				cp[i].ToolCallID = ms[i].ToolCallID
				ms = cp
			default: // compaction: the system prompt and a summary
				ms = append([]chat.Message(nil), ms[0], msg(chat.RoleUser, "summary: "+piece()))
			}
			req.Messages = ms
			got := r.count(c, req)
			prompt, _ := r.Render(req)
			if want := bpe.Count(prompt); got.Tokens != want {
				t.Fatalf("%s step %d: counted %d, the prompt (%d bytes) has %d tokens", f.Renderer+"template", step, got.Tokens, len(prompt), want)
			}
		}
	}
}

// TestCountParallelExact counts a megabyte prompt cold, which Counter
// shares out among cores, and checks it against counting it whole.
func TestCountParallelExact(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	bpe := tokenizetest.Qwen3BPE(t)
	r := newPrompterFor(promptFormat{Renderer: "qwen3-coder"})
	req := tokenizetest.BigRequest(t)
	prompt, _ := r.Render(req)
	want := bpe.Count(prompt)
	for range 3 {
		if got := r.count(newCounter(t), req).Tokens; got != want {
			t.Fatalf("counted %d, the prompt has %d tokens", got, want)
		}
	}
}
