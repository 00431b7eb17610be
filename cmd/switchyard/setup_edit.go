package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// editJSON applies set to the JSON object in old (none: an empty one) and
// re-encodes it, two spaces deep. A file that is not one plain JSON object
// (comments, a trailing comma) is left alone, with the error saying so.
func editJSON(old []byte, set func(m map[string]any)) ([]byte, error) {
	m := map[string]any{}
	if len(bytes.TrimSpace(old)) > 0 {
		if err := json.Unmarshal(old, &m); err != nil {
			return nil, fmt.Errorf("is not one plain JSON object (%v): add what `switchyard setup` prints by hand", err)
		}
	}
	set(m)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// setPath sets m[k0][k1]...[kn] = v, making the objects on the way (a
// member on the way that is not an object is replaced).
func setPath(m map[string]any, v any, keys ...string) {
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[keys[len(keys)-1]] = v
}

// deletePath removes m[k0]...[kn] where it is.
func deletePath(m map[string]any, keys ...string) {
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			return
		}
		m = next
	}
	delete(m, keys[len(keys)-1])
}

// editTOML sets top-level keys and replaces one table in a TOML file as
// text, so the user's comments and the rest of the file stay as they
// were: a top-level key already there is replaced where it stands, a new
// one goes before the first table (TOML reads keys after a table header as
// the table's), and the table is removed wherever it was and written at
// the end. keys are "name = value" lines in order; table is its header
// ("[model_providers.switchyard]") and body lines.
func editTOML(old []byte, keys []string, table string, body []string) []byte {
	name := func(line string) string {
		k, _, ok := strings.Cut(line, "=")
		if !ok {
			return ""
		}
		return strings.Trim(strings.TrimSpace(k), `"`)
	}
	want := map[string]string{}
	var order []string
	for _, k := range keys {
		want[name(k)] = k
		order = append(order, name(k))
	}
	done := map[string]bool{}
	var out []string
	inTop, inTable, placed := true, false, false
	trim := func() {
		for len(out) > 0 && strings.TrimSpace(out[len(out)-1]) == "" {
			out = out[:len(out)-1]
		}
	}
	place := func() {
		trim()
		for _, n := range order {
			if !done[n] {
				out = append(out, want[n])
				done[n] = true
			}
		}
		placed = true
	}
	sc := bufio.NewScanner(bytes.NewReader(old))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "[") {
			if inTop && !placed {
				place()
				if len(out) > 0 {
					out = append(out, "")
				}
			}
			inTop = false
			h := t
			if i := strings.Index(h, "#"); i >= 0 {
				h = strings.TrimSpace(h[:i])
			}
			inTable = h == table
			if inTable {
				continue
			}
		}
		if inTable {
			continue
		}
		if inTop {
			if n := name(t); n != "" && !strings.HasPrefix(t, "#") {
				if k, ok := want[n]; ok {
					if !done[n] {
						out = append(out, k)
						done[n] = true
					}
					continue
				}
			}
		}
		out = append(out, line)
	}
	if !placed {
		place()
	}
	trim()
	out = append(out, "", table)
	out = append(out, body...)
	return []byte(strings.Join(out, "\n") + "\n")
}
