package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// streamResult is what a client made of an OpenAI SSE answer.
type streamResult struct {
	Content string
	// Done is true when the stream ended with "data: [DONE]" and nothing
	// after it.
	Done bool
	// Error is the message of an error event, if one came.
	Error string
	// Events counts data events, [DONE] included.
	Events int
}

// readStream parses an OpenAI chat completions SSE body: "data: " events
// separated by blank lines (comments, such as switchyard's keep-alives,
// ignored), chunks whose choices[0].delta.content make up the answer, an
// optional error event ({"error": {...}}), and "data: [DONE]" last. A body
// that is not such a stream is an error.
func readStream(body []byte) (streamResult, error) {
	var r streamResult
	var content strings.Builder
	for ev := range bytes.SplitSeq(body, []byte("\n\n")) {
		ev = bytes.TrimLeft(ev, "\n")
		if len(ev) == 0 {
			continue
		}
		var data []byte
		for line := range bytes.SplitSeq(ev, []byte("\n")) {
			switch {
			case bytes.HasPrefix(line, []byte(":")):
			case bytes.HasPrefix(line, []byte("data: ")):
				data = append(data, bytes.TrimPrefix(line, []byte("data: "))...)
			default:
				return r, fmt.Errorf("not an SSE line: %.100q", line)
			}
		}
		if data == nil {
			continue
		}
		if r.Done {
			return r, fmt.Errorf("an event after [DONE]: %.100q", data)
		}
		r.Events++
		if string(data) == "[DONE]" {
			r.Done = true
			continue
		}
		var chunk struct {
			Choices []struct {
				Delta struct {
					Content string `json:"content"`
				} `json:"delta"`
			} `json:"choices"`
			Error *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(data, &chunk); err != nil {
			return r, fmt.Errorf("an event that is not JSON: %.100q", data)
		}
		if chunk.Error != nil {
			r.Error = chunk.Error.Message
			continue
		}
		if len(chunk.Choices) > 0 {
			content.WriteString(chunk.Choices[0].Delta.Content)
		}
	}
	r.Content = content.String()
	return r, nil
}
