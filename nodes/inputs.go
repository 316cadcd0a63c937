package nodes

import (
	"fmt"
	"math"
)

// Inputs are the resolved values of one node call, by input name. Widget
// values arrive as the validator coerced them: INT as int64 (uint64 above
// math.MaxInt64, so seeds up to 2^64-1 stay exact), FLOAT as float64, STRING
// and combos as string (numeric combos keep their JSON number), BOOLEAN as
// bool. Linked values are whatever the upstream node produced. Hidden inputs
// appear under their names ("prompt", "extra_pnginfo", "unique_id").
type Inputs map[string]any

// Has reports whether name is present and not nil.
func (in Inputs) Has(name string) bool { v, ok := in[name]; return ok && v != nil }

// Int returns an INT input as int64. A uint64 above MaxInt64 is an error:
// nodes that accept seeds use Uint64.
func (in Inputs) Int(name string) (int64, error) {
	switch v := in[name].(type) {
	case int64:
		return v, nil
	case int:
		return int64(v), nil
	case uint64:
		if v > math.MaxInt64 {
			return 0, fmt.Errorf("input %q: %d is too large", name, v)
		}
		return int64(v), nil
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<63 {
			return int64(v), nil
		}
	}
	return 0, fmt.Errorf("input %q: expected an integer, got %T", name, in[name])
}

// Uint64 returns an INT input as the 64-bit pattern torch would use for a
// seed (negative values wrap as two's complement).
func (in Inputs) Uint64(name string) (uint64, error) {
	switch v := in[name].(type) {
	case uint64:
		return v, nil
	case int64:
		return uint64(v), nil
	case int:
		return uint64(v), nil
	case float64:
		if v == math.Trunc(v) && v >= 0 && v < 1<<64 {
			return uint64(v), nil
		}
	}
	return 0, fmt.Errorf("input %q: expected an integer, got %T", name, in[name])
}

// Float returns a FLOAT (or INT) input as float64.
func (in Inputs) Float(name string) (float64, error) {
	switch v := in[name].(type) {
	case float64:
		return v, nil
	case float32:
		return float64(v), nil
	case int64:
		return float64(v), nil
	case uint64:
		return float64(v), nil
	case int:
		return float64(v), nil
	}
	return 0, fmt.Errorf("input %q: expected a number, got %T", name, in[name])
}

// String returns a STRING or combo input.
func (in Inputs) String(name string) (string, error) {
	if v, ok := in[name].(string); ok {
		return v, nil
	}
	return "", fmt.Errorf("input %q: expected a string, got %T", name, in[name])
}

// Bool returns a BOOLEAN input.
func (in Inputs) Bool(name string) (bool, error) {
	if v, ok := in[name].(bool); ok {
		return v, nil
	}
	return false, fmt.Errorf("input %q: expected a boolean, got %T", name, in[name])
}

// Value returns a linked input as type T, with a clear error otherwise.
func Value[T any](in Inputs, name string) (T, error) {
	v, ok := in[name].(T)
	if !ok {
		var zero T
		return zero, fmt.Errorf("input %q: expected %T, got %T", name, zero, in[name])
	}
	return v, nil
}

// InputError is an error about one input. Returned from a ValidateInputs
// hook, it lets the validator name the input in ComfyUI's error body
// (extra_info.input_name).
type InputError struct {
	Input string
	Err   error
}

func (e *InputError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *InputError) Unwrap() error { return e.Err }

// InputName is the input the error is about.
func (e *InputError) InputName() string { return e.Input }
