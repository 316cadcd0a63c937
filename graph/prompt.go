package graph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
)

// Prompt is a decoded API-format prompt (spec 2.2): node ids in their JSON
// order, each node's inputs in their JSON order. Validate coerces literal
// values in place, as ComfyUI's validate_prompt does; MarshalJSON writes the
// coerced prompt (what the queue, history and PNG metadata store) and Raw
// keeps the bytes as submitted.
type Prompt struct {
	IDs   []string
	Nodes map[string]*Node
	Raw   json.RawMessage
}

// Node is one entry of a prompt.
type Node struct {
	ID string
	// ClassType is the class name; HasClassType is false when the key is
	// absent. A non-string class_type is kept in its Python str() form, so
	// it names no registered class.
	ClassType    string
	HasClassType bool
	// Title is _meta.title when it is a string.
	Title    string
	HasTitle bool
	Inputs   []*Input
	// IsChanged is the node's own "is_changed" key when present: ComfyUI
	// uses it as is instead of calling IS_CHANGED (spec 4.9).
	IsChanged    any
	HasIsChanged bool

	// fields are the node's keys as submitted (class_type, inputs, _meta,
	// anything else), re-emitted in order by MarshalJSON.
	fields []rawField
}

type rawField struct {
	key string
	raw json.RawMessage
}

// Input is one key of a node's "inputs" object. Value is a Link, a []any
// that looks like a link but is malformed (validation rejects it), or a
// literal: json.Number, string, bool, nil, []any, map[string]any.
// Validation replaces literals by their coerced value (nodes.Inputs types).
type Input struct {
	Name  string
	Value any
	raw   json.RawMessage
	dirty bool // Value was rewritten by validation: marshal it, not raw
}

// Link is an input connected to output Slot of node From.
type Link struct {
	From string
	Slot int
}

// Input returns the named input, or nil.
func (n *Node) Input(name string) *Input {
	for _, in := range n.Inputs {
		if in.Name == name {
			return in
		}
	}
	return nil
}

// DecodePrompt decodes an API-format prompt object. It fails (with an
// invalid_prompt *Error) only when the JSON is not an object of node
// objects; everything ComfyUI reports per node is left to Validate.
func DecodePrompt(data []byte) (*Prompt, error) {
	data = bytes.TrimSpace(data)
	p := &Prompt{Nodes: map[string]*Node{}, Raw: append(json.RawMessage(nil), data...)}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := expectDelim(dec, '{'); err != nil {
		return nil, invalidPrompt("the prompt must be a JSON object of nodes", err)
	}
	for dec.More() {
		id, err := readKey(dec)
		if err != nil {
			return nil, invalidPrompt("malformed prompt JSON", err)
		}
		n, err := decodeNode(dec, id)
		if err != nil {
			return nil, invalidPrompt(fmt.Sprintf("node %q is malformed", id), err)
		}
		if _, dup := p.Nodes[id]; !dup {
			p.IDs = append(p.IDs, id)
		}
		p.Nodes[id] = n // like Python's json: the last duplicate wins, first position kept
	}
	if _, err := dec.Token(); err != nil {
		return nil, invalidPrompt("malformed prompt JSON", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, invalidPrompt("malformed prompt JSON", fmt.Errorf("data after the prompt object"))
	}
	return p, nil
}

func decodeNode(dec *json.Decoder, id string) (*Node, error) {
	n := &Node{ID: id}
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	for dec.More() {
		key, err := readKey(dec)
		if err != nil {
			return nil, err
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		n.setField(key, raw)
		switch key {
		case "class_type":
			v, err := decodeValue(raw)
			if err != nil {
				return nil, err
			}
			n.HasClassType = true
			if s, ok := v.(string); ok {
				n.ClassType = s
			} else {
				n.ClassType = pyStr(v)
			}
		case "inputs":
			ins, err := decodeInputs(raw)
			if err != nil {
				return nil, fmt.Errorf("inputs: %w", err)
			}
			n.Inputs = ins
		case "_meta":
			var meta map[string]any
			if json.Unmarshal(raw, &meta) == nil {
				n.Title, n.HasTitle = meta["title"].(string)
			}
		case "is_changed":
			v, err := decodeValue(raw)
			if err != nil {
				return nil, err
			}
			n.IsChanged, n.HasIsChanged = normalize(v), true
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	return n, nil
}

func (n *Node) setField(key string, raw json.RawMessage) {
	for i := range n.fields {
		if n.fields[i].key == key {
			n.fields[i].raw = raw
			return
		}
	}
	n.fields = append(n.fields, rawField{key, raw})
}

func decodeInputs(raw json.RawMessage) ([]*Input, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	var ins []*Input
	for dec.More() {
		name, err := readKey(dec)
		if err != nil {
			return nil, err
		}
		var vraw json.RawMessage
		if err := dec.Decode(&vraw); err != nil {
			return nil, err
		}
		v, err := decodeValue(vraw)
		if err != nil {
			return nil, err
		}
		in := &Input{Name: name, Value: classifyLink(v), raw: vraw}
		replaced := false
		for i := range ins {
			if ins[i].Name == name {
				ins[i], replaced = in, true
			}
		}
		if !replaced {
			ins = append(ins, in)
		}
	}
	return ins, nil
}

// classifyLink turns ["id", slot] into a Link (spec 4.4). Other arrays stay
// []any: validation treats every array as a link and reports it.
func classifyLink(v any) any {
	a, ok := v.([]any)
	if !ok || len(a) != 2 {
		return v
	}
	from, ok := a[0].(string)
	if !ok {
		return v
	}
	num, ok := a[1].(json.Number)
	if !ok {
		return v
	}
	slot, err := strconv.Atoi(num.String())
	if err != nil || slot < 0 {
		return v
	}
	return Link{From: from, Slot: slot}
}

func decodeValue(raw json.RawMessage) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("expected %q, found %v", want, tok)
	}
	return nil
}

func readKey(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", err
	}
	key, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("expected an object key, found %v", tok)
	}
	return key, nil
}

// MarshalJSON writes the prompt with node and input order kept and
// literals as validation coerced them (spec 2.2 step 4).
func (p *Prompt) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, id := range p.IDs {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSONString(&b, id)
		b.WriteByte(':')
		if err := p.Nodes[id].writeJSON(&b); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func (n *Node) writeJSON(b *bytes.Buffer) error {
	b.WriteByte('{')
	for i, f := range n.fields {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSONString(b, f.key)
		b.WriteByte(':')
		if f.key != "inputs" {
			if err := json.Compact(b, f.raw); err != nil {
				return err
			}
			continue
		}
		b.WriteByte('{')
		for j, in := range n.Inputs {
			if j > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, in.Name)
			b.WriteByte(':')
			if !in.dirty {
				if err := json.Compact(b, in.raw); err != nil {
					return err
				}
				continue
			}
			if err := writeValue(b, in.Value); err != nil {
				return fmt.Errorf("node %s input %s: %w", n.ID, in.Name, err)
			}
		}
		b.WriteByte('}')
	}
	b.WriteByte('}')
	return nil
}

// writeValue encodes a coerced value like Python's json.dumps: floats keep
// their ".0" (a FLOAT widget given 8 is stored as 8.0). Non-finite floats,
// which JSON cannot carry, are written as null.
func writeValue(b *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			b.WriteString("null")
			return nil
		}
		b.WriteString(pyFloatRepr(x))
		return nil
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeValue(b, e); err != nil {
				return err
			}
		}
		b.WriteByte(']')
		return nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, k)
			b.WriteByte(':')
			if err := writeValue(b, x[k]); err != nil {
				return err
			}
		}
		b.WriteByte('}')
		return nil
	}
	enc, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b.Write(enc)
	return nil
}

func writeJSONString(b *bytes.Buffer, s string) {
	enc, _ := json.Marshal(s)
	b.Write(enc)
}

// JSONValue returns the prompt as plain Go values (maps and slices) in the
// coerced form: what hidden PROMPT inputs and PNG metadata carry.
func (p *Prompt) JSONValue() (map[string]any, error) {
	data, err := p.MarshalJSON()
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}
