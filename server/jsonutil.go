package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
)

// pyNumber is a prompt number as Python prints it: server-assigned numbers
// are ints ("12"), client-supplied ones floats ("12.0").
type pyNumber struct {
	V       float64
	IsFloat bool
}

func (n pyNumber) MarshalJSON() ([]byte, error) {
	if math.IsInf(n.V, 0) || math.IsNaN(n.V) {
		return nil, fmt.Errorf("number %v is not JSON", n.V)
	}
	if !n.IsFloat {
		return strconv.AppendInt(nil, int64(n.V), 10), nil
	}
	s := strconv.FormatFloat(n.V, 'g', -1, 64)
	if !bytes.ContainsAny([]byte(s), ".eE") {
		s += ".0"
	}
	return []byte(s), nil
}

// rawOrObject is a raw JSON object that encodes as {} when empty.
type rawOrObject json.RawMessage

func (r rawOrObject) MarshalJSON() ([]byte, error) {
	if len(bytes.TrimSpace(r)) == 0 {
		return []byte("{}"), nil
	}
	return r, nil
}

// writeJSON writes v with status 200 (or the given status).
func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeRawJSON(w, status, data)
}

func writeRawJSON(w http.ResponseWriter, status int, data []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// writeEmpty answers a status with an empty body, as aiohttp's
// web.Response(status=...) does.
func writeEmpty(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(status)
}

// writeText answers a plain-text body.
func writeText(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(text))
}

// orderedObject is a JSON object that keeps its keys' order, as Python
// dicts do (extra_data, settings).
type orderedObject struct {
	keys []string
	vals map[string]json.RawMessage
}

func newOrderedObject() *orderedObject { return &orderedObject{vals: map[string]json.RawMessage{}} }

func (o *orderedObject) UnmarshalJSON(data []byte) error {
	*o = orderedObject{vals: map[string]json.RawMessage{}}
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("expected a JSON object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		o.Set(key, raw)
	}
	_, err = dec.Token()
	return err
}

func (o *orderedObject) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		b.Write(o.vals[k])
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Set replaces or appends a key (a replaced key keeps its position).
func (o *orderedObject) Set(key string, raw json.RawMessage) {
	if _, ok := o.vals[key]; !ok {
		o.keys = append(o.keys, key)
	}
	o.vals[key] = raw
}

// SetValue encodes v under key.
func (o *orderedObject) SetValue(key string, v any) {
	raw, _ := json.Marshal(v)
	o.Set(key, raw)
}

// Get returns a key's raw value.
func (o *orderedObject) Get(key string) (json.RawMessage, bool) {
	v, ok := o.vals[key]
	return v, ok
}

// Delete removes a key.
func (o *orderedObject) Delete(key string) {
	if _, ok := o.vals[key]; !ok {
		return
	}
	delete(o.vals, key)
	for i, k := range o.keys {
		if k == key {
			o.keys = append(o.keys[:i], o.keys[i+1:]...)
			break
		}
	}
}

// writeOrdered writes {"k1": v1, ...} from parallel keys and raw values.
func writeOrdered(b *bytes.Buffer, keys []string, vals []json.RawMessage) {
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteString(": ")
		b.Write(vals[i])
	}
	b.WriteByte('}')
}

// sortedKeys returns a map's keys in sorted order.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

func jsonUnmarshal(raw []byte, v any) error { return json.Unmarshal(raw, v) }

func (n *pyNumber) UnmarshalJSON(data []byte) error {
	if err := json.Unmarshal(data, &n.V); err != nil {
		return err
	}
	n.IsFloat = bytes.ContainsAny(data, ".eE")
	return nil
}
