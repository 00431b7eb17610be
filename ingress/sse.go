package ingress

// Data frames one server-sent event with only a data line ("data: …\n\n").
// JSON has no raw newlines, so one line holds it.
func Data(payload []byte) []byte {
	return frame(nil, "", payload)
}

// Event frames one server-sent event with an event name and a data line.
func Event(name string, payload []byte) []byte {
	return frame(nil, name, payload)
}

// AppendEvent appends one framed event to b; name "" leaves out the event
// line.
func AppendEvent(b []byte, name string, payload []byte) []byte {
	return frame(b, name, payload)
}

func frame(b []byte, name string, payload []byte) []byte {
	if b == nil {
		b = make([]byte, 0, len(name)+len(payload)+16)
	}
	return CloseEvent(append(OpenEvent(b, name), payload...))
}

// OpenEvent appends the start of an event to b, up to its data, for a
// writer that appends the payload in place (one line: JSON has no raw
// newline) and then calls CloseEvent.
func OpenEvent(b []byte, name string) []byte {
	if name != "" {
		b = append(b, "event: "...)
		b = append(b, name...)
		b = append(b, '\n')
	}
	return append(b, "data: "...)
}

// CloseEvent ends the event OpenEvent began.
func CloseEvent(b []byte) []byte { return append(b, "\n\n"...) }

// Comment is an SSE comment line, which clients ignore.
func Comment(text string) []byte {
	return []byte(": " + text + "\n\n")
}
