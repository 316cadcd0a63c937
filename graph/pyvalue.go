package graph

// ComfyUI validates with Python's int()/float()/str()/bool() and writes
// Python-formatted values into error messages. This file reproduces those
// conversions and str()/repr() renderings for JSON values, so error details
// read exactly like upstream's.

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// normalize turns json.Number into int64 (uint64 above MaxInt64, float64
// beyond that or when written with a fraction or exponent), recursively.
func normalize(v any) any {
	switch x := v.(type) {
	case json.Number:
		return numberValue(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	case Link:
		return []any{x.From, int64(x.Slot)}
	}
	return v
}

func numberValue(n json.Number) any {
	s := n.String()
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i
		}
		if u, err := strconv.ParseUint(s, 10, 64); err == nil {
			return u
		}
	}
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

// pyTypeName is Python's type name for a decoded JSON value.
func pyTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case int, int64, uint64, json.Number:
		return "int"
	case float64, float32:
		return "float"
	case string:
		return "str"
	case []any, Link:
		return "list"
	case map[string]any:
		return "dict"
	}
	return fmt.Sprintf("%T", v)
}

// pyInt is Python's int(v) for a normalized JSON value, limited to the
// int64/uint64 range comfyd can carry.
func pyInt(v any) (any, error) {
	switch x := v.(type) {
	case bool:
		if x {
			return int64(1), nil
		}
		return int64(0), nil
	case int64, uint64:
		return x, nil
	case int:
		return int64(x), nil
	case float64:
		if math.IsInf(x, 0) {
			return nil, errors.New("cannot convert float infinity to integer")
		}
		if math.IsNaN(x) {
			return nil, errors.New("cannot convert float NaN to integer")
		}
		return intFromFloat(math.Trunc(x))
	case string:
		s, ok := pyDigits(strings.TrimFunc(x, unicode.IsSpace))
		if !ok {
			return nil, fmt.Errorf("invalid literal for int() with base 10: %s", pyRepr(x))
		}
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i, nil
		}
		if u, err := strconv.ParseUint(s, 10, 64); err == nil {
			return u, nil
		}
		return nil, fmt.Errorf("integer %s is out of the supported range [-2^63, 2^64-1]", s)
	}
	return nil, fmt.Errorf("int() argument must be a string, a bytes-like object or a real number, not '%s'", pyTypeName(v))
}

func intFromFloat(f float64) (any, error) {
	switch {
	case f >= -(1<<63) && f < 1<<63:
		return int64(f), nil
	case f >= 0 && f < 1<<64:
		return uint64(f), nil
	}
	return nil, fmt.Errorf("integer %s is out of the supported range [-2^63, 2^64-1]", pyStr(f))
}

// pyDigits accepts Python's decimal integer literal syntax (sign, digits,
// single underscores between digits) and returns it without underscores.
func pyDigits(s string) (string, bool) {
	body := s
	sign := ""
	if strings.HasPrefix(body, "+") || strings.HasPrefix(body, "-") {
		sign, body = body[:1], body[1:]
	}
	if body == "" || body[0] == '_' || body[len(body)-1] == '_' || strings.Contains(body, "__") {
		return "", false
	}
	for _, r := range body {
		if r != '_' && (r < '0' || r > '9') {
			return "", false
		}
	}
	if sign == "+" {
		sign = ""
	}
	return sign + strings.ReplaceAll(body, "_", ""), true
}

// pyFloat is Python's float(v).
func pyFloat(v any) (float64, error) {
	switch x := v.(type) {
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case int64:
		return float64(x), nil
	case uint64:
		return float64(x), nil
	case int:
		return float64(x), nil
	case float64:
		return x, nil
	case string:
		t := strings.TrimFunc(x, unicode.IsSpace)
		if f, ok := parsePyFloat(t); ok {
			return f, nil
		}
		return 0, fmt.Errorf("could not convert string to float: %s", pyRepr(x))
	}
	return 0, fmt.Errorf("float() argument must be a string or a real number, not '%s'", pyTypeName(v))
}

func parsePyFloat(s string) (float64, bool) {
	if s == "" || strings.ContainsAny(s, "xXpP") {
		return 0, false
	}
	switch strings.ToLower(strings.TrimLeft(s, "+-")) {
	case "inf", "infinity", "nan":
		f, err := strconv.ParseFloat(s, 64)
		return f, err == nil
	}
	if strings.Contains(s, "_") {
		// Underscores are legal only between two digits.
		for i := 0; i < len(s); i++ {
			if s[i] != '_' {
				continue
			}
			if i == 0 || i == len(s)-1 || !isDigit(s[i-1]) || !isDigit(s[i+1]) {
				return 0, false
			}
		}
		s = strings.ReplaceAll(s, "_", "")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isDigit(c) && c != '.' && c != 'e' && c != 'E' && c != '+' && c != '-' {
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return f, true // Python overflows to inf / underflows to 0
		}
		return 0, false
	}
	return f, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// PyBool is Python's truthiness (bool(v)) of a decoded JSON or prompt value.
func PyBool(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case int64:
		return x != 0
	case uint64:
		return x != 0
	case int:
		return x != 0
	case float64:
		return x != 0
	case string:
		return x != ""
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	}
	return true
}

// pyStr is Python's str(v).
func pyStr(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return pyRepr(v)
}

// pyRepr is Python's repr(v) for JSON values (dict keys sorted: Go maps
// do not keep insertion order).
func pyRepr(v any) string {
	var b strings.Builder
	writeRepr(&b, v)
	return b.String()
}

func writeRepr(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("None")
	case bool:
		if x {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case uint64:
		b.WriteString(strconv.FormatUint(x, 10))
	case int:
		b.WriteString(strconv.Itoa(x))
	case float64:
		b.WriteString(pyFloatRepr(x))
	case float32:
		b.WriteString(pyFloatRepr(float64(x)))
	case json.Number:
		writeRepr(b, numberValue(x))
	case string:
		writeStringRepr(b, x)
	case Link:
		writeRepr(b, []any{x.From, int64(x.Slot)})
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writeRepr(b, e)
		}
		b.WriteByte(']')
	case []string:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writeStringRepr(b, e)
		}
		b.WriteByte(']')
	case map[string]any:
		keys := slices.Sorted(maps.Keys(x))
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			writeStringRepr(b, k)
			b.WriteString(": ")
			writeRepr(b, x[k])
		}
		b.WriteByte('}')
	default:
		fmt.Fprint(b, x)
	}
}

// pyFloatRepr formats like Python's float repr: shortest round-trip digits,
// scientific notation below 1e-4 and from 1e16, ".0" on integral values.
func pyFloatRepr(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	if f == 0 {
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±XX
	mant, expStr, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expStr)
	if exp < -4 || exp >= 16 {
		sign := "+"
		if exp < 0 {
			sign, exp = "-", -exp
		}
		return fmt.Sprintf("%se%s%02d", mant, sign, exp)
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}

func writeStringRepr(b *strings.Builder, s string) {
	quote := byte('\'')
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		quote = '"'
	}
	b.WriteByte(quote)
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == rune(quote):
			b.WriteByte('\\')
			b.WriteByte(quote)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(quote)
}

// pyCompare orders two numbers like Python (ints exactly, otherwise as
// floats). ok is false when either is not a number.
func pyCompare(a, b any) (cmp int, ok bool) {
	ai, aInt := asBigInt(a)
	bi, bInt := asBigInt(b)
	if aInt && bInt {
		return ai.cmp(bi), true
	}
	af, aok := asFloat(a)
	bf, bok := asFloat(b)
	if !aok || !bok || math.IsNaN(af) || math.IsNaN(bf) {
		return 0, false
	}
	switch {
	case af < bf:
		return -1, true
	case af > bf:
		return 1, true
	}
	return 0, true
}

// pyEqual is Python's == for JSON values (1 == 1.0 == True).
func pyEqual(a, b any) bool {
	if c, ok := pyCompare(a, b); ok {
		return c == 0
	}
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return ok && x == y
	case nil:
		return b == nil
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !pyEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !pyEqual(v, w) {
				return false
			}
		}
		return true
	}
	return false
}

// signedInt is an integer in [-2^63, 2^64-1].
type signedInt struct {
	neg bool
	mag uint64
}

func (a signedInt) cmp(b signedInt) int {
	switch {
	case a.neg && !b.neg:
		return -1
	case !a.neg && b.neg:
		return 1
	}
	c := 0
	if a.mag < b.mag {
		c = -1
	} else if a.mag > b.mag {
		c = 1
	}
	if a.neg {
		c = -c
	}
	return c
}

func asBigInt(v any) (signedInt, bool) {
	var i int64
	switch x := v.(type) {
	case bool:
		if x {
			i = 1
		}
	case int64:
		i = x
	case int:
		i = int64(x)
	case int32:
		i = int64(x)
	case uint64:
		return signedInt{mag: x}, true
	case uint32:
		i = int64(x)
	case json.Number:
		return asBigInt(numberValue(x))
	default:
		return signedInt{}, false
	}
	if i < 0 {
		return signedInt{neg: true, mag: uint64(-(i + 1)) + 1}, true
	}
	return signedInt{mag: uint64(i)}, true
}

func asFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	case int32:
		return float64(x), true
	case uint64:
		return float64(x), true
	case uint32:
		return float64(x), true
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case json.Number:
		return asFloat(numberValue(x))
	}
	return 0, false
}
