package nodes

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"unicode/utf16"
	"unicode/utf8"
)

// PythonJSON encodes v the way Python's json.dumps does with its defaults,
// which is how ComfyUI writes the prompt and workflow into PNG and .latent
// metadata: ", " and ": " separators, ASCII only (\uXXXX escapes, surrogate
// pairs above the BMP), "/" and HTML characters left alone. Object keys keep
// their order when v is raw JSON (json.RawMessage or []byte); Go maps are
// written with sorted keys.
func PythonJSON(v any) (string, error) {
	raw, err := rawJSON(v)
	if err != nil {
		return "", err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out bytes.Buffer
	if err := writePyValue(&out, dec); err != nil {
		return "", err
	}
	if _, err := dec.Token(); err != io.EOF {
		return "", fmt.Errorf("pythonjson: trailing data after value")
	}
	return out.String(), nil
}

// rawJSON is v as JSON text: raw JSON (json.RawMessage or []byte) as it is,
// so that object keys keep their order, anything else marshalled.
func rawJSON(v any) ([]byte, error) {
	switch x := v.(type) {
	case json.RawMessage:
		return x, nil
	case []byte:
		return x, nil
	}
	return json.Marshal(v)
}

func writePyValue(out *bytes.Buffer, dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	return writePyToken(out, dec, tok)
}

func writePyToken(out *bytes.Buffer, dec *json.Decoder, tok json.Token) error {
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			out.WriteByte('{')
			for i := 0; dec.More(); i++ {
				if i > 0 {
					out.WriteString(", ")
				}
				key, err := dec.Token()
				if err != nil {
					return err
				}
				ks, ok := key.(string)
				if !ok {
					return fmt.Errorf("pythonjson: object key %v is not a string", key)
				}
				writePyString(out, ks)
				out.WriteString(": ")
				if err := writePyValue(out, dec); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil { // '}'
				return err
			}
			out.WriteByte('}')
		case '[':
			out.WriteByte('[')
			for i := 0; dec.More(); i++ {
				if i > 0 {
					out.WriteString(", ")
				}
				if err := writePyValue(out, dec); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil { // ']'
				return err
			}
			out.WriteByte(']')
		default:
			return fmt.Errorf("pythonjson: unexpected delimiter %v", t)
		}
	case string:
		writePyString(out, t)
	case json.Number:
		out.WriteString(t.String())
	case bool:
		if t {
			out.WriteString("true")
		} else {
			out.WriteString("false")
		}
	case nil:
		out.WriteString("null")
	default:
		return fmt.Errorf("pythonjson: unexpected token %T", tok)
	}
	return nil
}

const hexDigits = "0123456789abcdef"

// writePyString writes s as Python's ensure_ascii encoder does.
func writePyString(out *bytes.Buffer, s string) {
	out.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '"':
			out.WriteString(`\"`)
		case r == '\\':
			out.WriteString(`\\`)
		case r == '\n':
			out.WriteString(`\n`)
		case r == '\r':
			out.WriteString(`\r`)
		case r == '\t':
			out.WriteString(`\t`)
		case r == '\b':
			out.WriteString(`\b`)
		case r == '\f':
			out.WriteString(`\f`)
		case r < 0x20 || r > 0x7e:
			if r > 0xffff {
				r1, r2 := utf16.EncodeRune(r)
				writeU4(out, r1)
				writeU4(out, r2)
			} else {
				writeU4(out, r)
			}
		default:
			out.WriteByte(byte(r))
		}
	}
	out.WriteByte('"')
}

func writeU4(out *bytes.Buffer, r rune) {
	out.WriteString(`\u`)
	for shift := 12; shift >= 0; shift -= 4 {
		out.WriteByte(hexDigits[(r>>uint(shift))&0xf])
	}
}
