package graph

import (
	"encoding/json"
	"unicode/utf8"
)

// jsonScan walks JSON text that json.Valid has accepted, so it needs no
// syntax errors of its own. It exists because decoding a prompt through
// json.Decoder's token API, to keep key order, was six times slower than
// a plain json.Unmarshal (BenchmarkDecode500).
type jsonScan struct {
	data []byte
	pos  int
}

func (s *jsonScan) skipSpace() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the first byte of the next value.
func (s *jsonScan) peek() byte {
	s.skipSpace()
	return s.data[s.pos]
}

// object calls fn for each key of the object at the cursor; fn must
// consume the value (with raw, value or a nested object call).
func (s *jsonScan) object(fn func(key string)) {
	s.skipSpace()
	s.pos++ // '{'
	for {
		s.skipSpace()
		if s.data[s.pos] == '}' {
			s.pos++
			return
		}
		if s.data[s.pos] == ',' {
			s.pos++
			s.skipSpace()
		}
		key := s.str()
		s.skipSpace()
		s.pos++ // ':'
		fn(key)
	}
}

// str reads the string at the cursor.
func (s *jsonScan) str() string {
	start := s.pos
	s.pos++
	plain := true
	for {
		c := s.data[s.pos]
		if c == '\\' {
			plain = false
			s.pos += 2
			continue
		}
		if c >= utf8.RuneSelf {
			plain = false
		}
		s.pos++
		if c == '"' {
			break
		}
	}
	raw := s.data[start:s.pos]
	if plain {
		return string(raw[1 : len(raw)-1])
	}
	var out string
	_ = json.Unmarshal(raw, &out) // escapes and invalid UTF-8, exactly as encoding/json does
	return out
}

// raw returns the text of the value at the cursor and moves past it.
func (s *jsonScan) raw() []byte {
	s.skipSpace()
	start := s.pos
	switch s.data[s.pos] {
	case '"':
		s.skipString()
	case '{', '[':
		depth := 0
		for {
			c := s.data[s.pos]
			if c == '"' {
				s.skipString()
				continue
			}
			s.pos++
			if c == '{' || c == '[' {
				depth++
			} else if c == '}' || c == ']' {
				depth--
				if depth == 0 {
					break
				}
			}
		}
	default: // number, true, false, null
		for s.pos < len(s.data) {
			c := s.data[s.pos]
			if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r' {
				break
			}
			s.pos++
		}
	}
	return s.data[start:s.pos]
}

func (s *jsonScan) skipString() {
	s.pos++
	for {
		c := s.data[s.pos]
		if c == '\\' {
			s.pos += 2
			continue
		}
		s.pos++
		if c == '"' {
			return
		}
	}
}

// value decodes the value at the cursor as encoding/json with UseNumber
// would: json.Number, string, bool, nil, []any, map[string]any.
func (s *jsonScan) value() any {
	switch s.peek() {
	case '"':
		return s.str()
	case '{':
		m := map[string]any{}
		s.object(func(key string) { m[key] = s.value() })
		return m
	case '[':
		s.pos++
		list := []any{}
		for {
			s.skipSpace()
			switch s.data[s.pos] {
			case ']':
				s.pos++
				return list
			case ',':
				s.pos++
			}
			list = append(list, s.value())
		}
	}
	raw := s.raw()
	switch raw[0] {
	case 't':
		return true
	case 'f':
		return false
	case 'n':
		return nil
	}
	return json.Number(raw)
}
