package graph

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime/debug"
	"strings"

	"comfyd/nodes"
)

// inputLists are a node's inputs as upstream's executor sees them: every
// input is a list (spec 4.4): a literal is a one-element list, a link is
// the source's output list for that slot.
type inputLists struct {
	names   []string
	lists   [][]any
	missing map[string]bool // linked inputs whose value is not available
}

func (il *inputLists) set(name string, list []any) {
	for i, n := range il.names {
		if n == name {
			il.lists[i] = list
			return
		}
	}
	il.names = append(il.names, name)
	il.lists = append(il.lists, list)
}

func (il *inputLists) has(name string) bool {
	for _, n := range il.names {
		if n == name {
			return true
		}
	}
	return false
}

// maxLen is the number of calls for a node without InputIsList.
func (il *inputLists) maxLen() int {
	n := 0
	for _, l := range il.lists {
		n = max(n, len(l))
	}
	return n
}

// slice is call i's inputs: element i of each list, or its last element
// when the list is shorter.
func (il *inputLists) slice(i int) nodes.Inputs {
	in := make(nodes.Inputs, len(il.names))
	for j, name := range il.names {
		l := il.lists[j]
		switch {
		case len(l) > i:
			in[name] = l[i]
		case len(l) > 0:
			in[name] = l[len(l)-1]
		default:
			in[name] = nil
		}
	}
	return in
}

// whole is the single call of an InputIsList node.
func (il *inputLists) whole() nodes.Inputs {
	in := make(nodes.Inputs, len(il.names))
	for j, name := range il.names {
		in[name] = il.lists[j]
	}
	return in
}

// blocker returns the first Blocker reaching a call's inputs.
func blockerIn(in nodes.Inputs, inputIsList bool) (nodes.Blocker, bool) {
	for _, v := range in {
		if inputIsList {
			if l, ok := v.([]any); ok {
				for _, e := range l {
					if b, ok := asBlocker(e); ok {
						return b, true
					}
				}
				continue
			}
		}
		if b, ok := asBlocker(v); ok {
			return b, true
		}
	}
	return nodes.Blocker{}, false
}

func asBlocker(v any) (nodes.Blocker, bool) {
	switch b := v.(type) {
	case nodes.Blocker:
		return b, true
	case *nodes.Blocker:
		if b != nil {
			return *b, true
		}
	}
	return nodes.Blocker{}, false
}

// nodeFailure is an error raised by a node call: its Python-style type
// name, message and stack.
type nodeFailure struct {
	typ   string
	msg   string
	trace []string
	// interrupted marks a cancellation (execution_interrupted, not
	// execution_error).
	interrupted bool
	// raw messages are sent as they are (no trailing newline).
	raw bool
}

func (f *nodeFailure) Error() string { return f.typ + ": " + f.msg }

var errInterrupted = errors.New("processing interrupted")

// failureFrom classifies an error returned by a node.
func failureFrom(ctx context.Context, err error) *nodeFailure {
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, ctx.Err()) || errors.Is(err, errInterrupted)) {
		return &nodeFailure{typ: "comfy.model_management.InterruptProcessingException", msg: err.Error(), interrupted: true}
	}
	var nf *nodeFailure
	if errors.As(err, &nf) {
		return nf
	}
	return &nodeFailure{typ: exceptionType(err), msg: err.Error(), trace: []string{}}
}

// exceptionType names an error's type for execution_error: the
// ExceptionType() of an error in its chain when one has it; "Exception"
// (Python's base class) for the untyped errors of errors.New and
// fmt.Errorf, whose Go type names mean nothing to a user; else the Go type
// name, such as fs.PathError.
func exceptionType(err error) string {
	var typed interface{ ExceptionType() string }
	if errors.As(err, &typed) {
		return typed.ExceptionType()
	}
	t := reflect.TypeOf(err)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.PkgPath() == "" {
		return t.Name()
	}
	if t.PkgPath() == "errors" || t.PkgPath() == "fmt" {
		return "Exception"
	}
	return t.PkgPath()[strings.LastIndex(t.PkgPath(), "/")+1:] + "." + t.Name()
}

// protect runs f and turns a panic into a nodeFailure with the Go stack as
// its traceback: a broken node never takes the process down.
func protect(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &nodeFailure{typ: "panic", msg: fmt.Sprint(r), trace: stackLines(debug.Stack())}
		}
	}()
	return f()
}

// formatInputs renders current_inputs of an execution_error: scalars as
// they are, anything else as a short string.
func formatInputs(il *inputLists) map[string]any {
	out := make(map[string]any, len(il.names))
	for j, name := range il.names {
		vals := make([]any, len(il.lists[j]))
		for i, v := range il.lists[j] {
			vals[i] = formatValue(v)
		}
		out[name] = vals
	}
	return out
}

func formatValue(v any) any {
	switch x := v.(type) {
	case nil, bool, int, int64, uint64, float64, float32, string:
		return x
	case fmt.Stringer:
		s := x.String()
		if len(s) > 200 {
			s = s[:200] + "..."
		}
		return s
	}
	return fmt.Sprintf("<%T>", v)
}
