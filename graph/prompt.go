package graph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
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
// invalid_prompt *Error) only when the JSON is malformed or not an object
// of node objects; everything ComfyUI reports per node is left to Validate.
// Like Python's json module, a duplicated key keeps its first position and
// its last value.
func DecodePrompt(data []byte) (*Prompt, error) {
	data = bytes.TrimSpace(data)
	if !json.Valid(data) {
		var v any
		err := json.Unmarshal(data, &v)
		if err == nil {
			err = fmt.Errorf("invalid JSON")
		}
		return nil, invalidPrompt("malformed prompt JSON", err)
	}
	p := &Prompt{Nodes: map[string]*Node{}, Raw: append(json.RawMessage(nil), data...)}
	s := &jsonScan{data: p.Raw}
	if s.peek() != '{' {
		return nil, invalidPrompt("the prompt must be a JSON object of nodes", fmt.Errorf("found %s", jsonKind(s.peek())))
	}
	var err error
	s.object(func(id string) {
		if err != nil {
			s.raw()
			return
		}
		var n *Node
		if n, err = decodeNode(s, id); err != nil {
			err = invalidPrompt(fmt.Sprintf("node %q is malformed", id), err)
			return
		}
		if _, dup := p.Nodes[id]; !dup {
			p.IDs = append(p.IDs, id)
		}
		p.Nodes[id] = n
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

func jsonKind(c byte) string {
	switch c {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

func decodeNode(s *jsonScan, id string) (*Node, error) {
	if c := s.peek(); c != '{' {
		s.raw()
		return nil, fmt.Errorf("a node must be an object, found %s", jsonKind(c))
	}
	n := &Node{ID: id}
	var err error
	s.object(func(key string) {
		start := s.pos
		switch key {
		case "class_type":
			v := s.value()
			n.HasClassType = true
			if str, ok := v.(string); ok {
				n.ClassType = str
			} else {
				n.ClassType = pyStr(normalize(v))
			}
		case "inputs":
			if c := s.peek(); c != '{' {
				s.raw()
				if err == nil {
					err = fmt.Errorf("inputs must be an object, found %s", jsonKind(c))
				}
				break
			}
			n.Inputs = n.Inputs[:0]
			s.object(func(name string) {
				vstart := s.pos
				v := s.value()
				in := &Input{Name: name, Value: classifyLink(v), raw: trimRaw(s.data[vstart:s.pos])}
				for i := range n.Inputs {
					if n.Inputs[i].Name == name {
						n.Inputs[i] = in
						return
					}
				}
				n.Inputs = append(n.Inputs, in)
			})
		case "_meta":
			n.Title, n.HasTitle = "", false
			if s.peek() != '{' {
				s.raw()
				break
			}
			s.object(func(k string) {
				if k != "title" || s.peek() != '"' {
					s.raw()
					return
				}
				n.Title, n.HasTitle = s.str(), true
			})
		case "is_changed":
			n.IsChanged, n.HasIsChanged = normalize(s.value()), true
		default:
			s.raw()
		}
		n.setField(key, trimRaw(s.data[start:s.pos]))
	})
	return n, err
}

func trimRaw(b []byte) json.RawMessage { return json.RawMessage(bytes.TrimSpace(b)) }

func (n *Node) setField(key string, raw json.RawMessage) {
	for i := range n.fields {
		if n.fields[i].key == key {
			n.fields[i].raw = raw
			return
		}
	}
	n.fields = append(n.fields, rawField{key, raw})
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
		keys := slices.Sorted(maps.Keys(x))
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
