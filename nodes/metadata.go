package nodes

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// SaveMetadata builds the metadata ComfyUI's saving nodes embed: "prompt"
// = JSON of the hidden PROMPT (when not nil), then one entry per key of
// EXTRA_PNGINFO (normally just "workflow"), each value as Python's
// json.dumps writes it. Keys keep their order when extra is raw JSON; a Go
// map gives sorted keys.
func SaveMetadata(prompt, extra any) ([]PNGText, error) {
	var out []PNGText
	if prompt != nil {
		s, err := PythonJSON(prompt)
		if err != nil {
			return nil, fmt.Errorf("prompt metadata: %w", err)
		}
		out = append(out, PNGText{Key: "prompt", Value: s})
	}
	if extra == nil {
		return out, nil
	}
	keys, vals, err := objectEntries(extra)
	if err != nil {
		return nil, fmt.Errorf("extra_pnginfo: %w", err)
	}
	for i, k := range keys {
		s, err := PythonJSON(vals[i])
		if err != nil {
			return nil, fmt.Errorf("extra_pnginfo %q: %w", k, err)
		}
		out = append(out, PNGText{Key: k, Value: s})
	}
	return out, nil
}

// objectEntries returns the keys and raw values of a JSON object in order.
func objectEntries(v any) ([]string, []json.RawMessage, error) {
	raw, err := rawJSON(v)
	if err != nil {
		return nil, nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, err
	}
	if tok == nil {
		return nil, nil, nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, nil, fmt.Errorf("expected a JSON object")
	}
	var keys []string
	var vals []json.RawMessage
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return nil, nil, err
		}
		keys = append(keys, kt.(string))
		vals = append(vals, val)
	}
	return keys, vals, nil
}
