package graph

import (
	"encoding/json"
	"fmt"
	"math"
	"runtime/debug"
	"strings"

	"comfyd/nodes"
)

// Validation is the result of Validate: ComfyUI's validate_prompt tuple
// (ok, error, outputs_to_execute, node_errors).
type Validation struct {
	OK bool
	// Error is the top-level error object when nothing can run.
	Error *Error
	// NodeErrors holds every node with reasons of its own; it can be
	// non-empty when OK (the failed outputs are skipped).
	NodeErrors map[string]*NodeError
	// Outputs are the valid output node ids, in prompt order.
	Outputs []string
}

// Body is the JSON body of ComfyUI's 400 answer: {"error", "node_errors"}.
func (v *Validation) Body() any {
	return struct {
		Error      *Error                `json:"error"`
		NodeErrors map[string]*NodeError `json:"node_errors"`
	}{v.Error, v.NodeErrors}
}

// Validate is ComfyUI's validate_prompt (spec 2.3). It coerces literal
// inputs in place (INT, FLOAT, STRING, BOOLEAN, "__value__" unwrapping).
// partialTargets restricts the outputs when non-nil (an empty, non-nil
// slice selects nothing, like upstream's empty list).
//
// Differences from upstream, all deliberate: inputs are checked in declared
// order (upstream iterates a Python set); min, max and combo checks always
// apply (a Go ValidateInputs hook cannot name the inputs it takes over); a
// dependency cycle is reported as a dependency_cycle reason on the node
// that closes it (upstream recurses until Python's recursion limit); and
// dependent_outputs lists only the failed outputs that depend on the node.
func Validate(reg *nodes.Registry, env *nodes.Env, p *Prompt, partialTargets []string) *Validation {
	v := &Validation{NodeErrors: map[string]*NodeError{}}
	if p == nil {
		v.Error = newError("invalid_prompt", "Invalid prompt", "no prompt", nil)
		return v
	}
	classes := make(map[string]*nodes.Class, len(p.IDs))
	var outputs []string
	for _, id := range p.IDs {
		n := p.Nodes[id]
		if err := classError(reg, n); err != nil {
			v.Error = err
			return v
		}
		cls, _ := reg.Get(n.ClassType)
		classes[id] = cls
		if cls.OutputNode && (partialTargets == nil || contains(partialTargets, id)) {
			outputs = append(outputs, id)
		}
	}
	if len(outputs) == 0 {
		v.Error = newError("prompt_no_outputs", "Prompt has no outputs", "", nil)
		return v
	}

	val := &validator{env: env, p: p, classes: classes, memo: make(map[string]*nodeResult, len(p.IDs)),
		combos: map[*nodes.Input][]any{}}
	var failedDetails []string
	for _, o := range outputs {
		res, exc := val.node(o)
		if exc != nil {
			res = &nodeResult{reasons: []*Error{exc.asValidationError()}}
			val.memo[o] = res
		}
		if res.valid {
			v.Outputs = append(v.Outputs, o)
			continue
		}
		for _, r := range res.reasons {
			failedDetails = append(failedDetails, r.Message+": "+r.Details)
		}
		val.collectErrors(o, v.NodeErrors)
	}
	if len(v.Outputs) == 0 {
		v.Error = newError("prompt_outputs_failed_validation", "Prompt outputs failed validation",
			strings.Join(failedDetails, "\n"), nil)
		return v
	}
	v.OK = true
	return v
}

// classError is step 1: every node has a known class_type.
func classError(reg *nodes.Registry, n *Node) *Error {
	if !n.HasClassType {
		var title any
		shown := "ID #" + n.ID
		if n.HasTitle {
			title = n.Title
			if n.Title != "" {
				shown = n.Title
			}
		}
		return newError("missing_node_type",
			fmt.Sprintf("Node '%s' has no class_type. The workflow may be corrupted or a custom node is missing.", shown),
			fmt.Sprintf("Node ID '#%s'", n.ID),
			map[string]any{"node_id": n.ID, "class_type": nil, "node_title": title})
	}
	if _, ok := reg.Get(n.ClassType); ok {
		return nil
	}
	title := n.ClassType
	if n.HasTitle {
		title = n.Title
	}
	return newError("missing_node_type",
		fmt.Sprintf("Node '%s' not found. The custom node may not be installed.", title),
		fmt.Sprintf("Node ID '#%s'", n.ID),
		map[string]any{"node_id": n.ID, "class_type": n.ClassType, "node_title": title})
}

type nodeResult struct {
	done    bool
	valid   bool
	reasons []*Error
}

// exception is what upstream raises (instead of returning reasons) while
// validating a node: it aborts that node and is recorded by its caller.
type exception struct {
	typ, msg string
	trace    []string
}

func (e *exception) traceback() []string {
	if e.trace == nil {
		return []string{}
	}
	return e.trace
}

func (e *exception) asValidationError() *Error {
	return newError("exception_during_validation", "Exception when validating node", e.msg,
		map[string]any{"exception_type": e.typ, "traceback": e.traceback()})
}

type validator struct {
	env     *nodes.Env
	p       *Prompt
	classes map[string]*nodes.Class
	memo    map[string]*nodeResult
	combos  map[*nodes.Input][]any
}

// node is upstream's validate_inputs: memoised per node id. A panic while
// checking the node (a combo list function, say) becomes an exception,
// as a Python exception would.
func (v *validator) node(id string) (res *nodeResult, exc *exception) {
	if r, ok := v.memo[id]; ok {
		return r, nil
	}
	defer func() {
		if r := recover(); r != nil {
			delete(v.memo, id)
			res, exc = nil, &exception{typ: "panic", msg: fmt.Sprint(r), trace: stackLines(debug.Stack())}
		}
	}()
	return v.check(id)
}

func (v *validator) check(id string) (*nodeResult, *exception) {
	res := &nodeResult{}
	v.memo[id] = res // in progress: a link back here is a cycle
	n, cls := v.p.Nodes[id], v.classes[id]
	valid := true
	var errs []*Error
	for g, group := range [2][]nodes.Input{cls.Required, cls.Optional} {
		required := g == 0
		for i := range group {
			decl := &group[i]
			in := n.Input(decl.Name)
			if in == nil {
				if required {
					errs = append(errs, newError("required_input_missing", "Required input is missing", decl.Name,
						map[string]any{"input_name": decl.Name}))
				}
				continue
			}
			switch val := in.Value.(type) {
			case Link, []any:
				reason, ok, exc := v.link(n, decl, val)
				if exc != nil {
					delete(v.memo, id)
					return nil, exc
				}
				if reason != nil {
					errs = append(errs, reason)
				}
				valid = valid && ok
			default:
				if reason := v.literal(decl, in); reason != nil {
					errs = append(errs, reason)
				}
			}
		}
	}
	if cls.ValidateInputs != nil {
		reason, exc := v.custom(n, cls)
		if exc != nil {
			delete(v.memo, id)
			return nil, exc
		}
		if reason != nil {
			errs = append(errs, reason)
		}
	}
	res.done = true
	res.valid = valid && len(errs) == 0
	res.reasons = errs
	return res, nil
}

// link checks a linked input: shape, source slot type, then the source
// node itself. ok is false when the source is invalid (no reason of ours).
func (v *validator) link(n *Node, decl *nodes.Input, val any) (reason *Error, ok bool, exc *exception) {
	if raw, isList := val.([]any); isList {
		if len(raw) != 2 {
			return newError("bad_linked_input", "Bad linked input, must be a length-2 list of [node_id, slot_index]",
				decl.Name, map[string]any{"input_name": decl.Name, "input_config": v.inputConfig(decl),
					"received_value": receivedValue(raw, normalize(raw))}), false, nil
		}
		return nil, false, &exception{typ: "TypeError", msg: fmt.Sprintf(
			"input %q: a link must be [node_id string, output slot index], got %s", decl.Name, pyRepr(normalize(raw)))}
	}
	l := val.(Link)
	srcCls, exists := v.classes[l.From]
	if !exists {
		return nil, false, &exception{typ: "KeyError", msg: fmt.Sprintf(
			"input %q is linked to node %q, which is not in the prompt", decl.Name, l.From)}
	}
	if l.Slot >= len(srcCls.Outputs) {
		return nil, false, &exception{typ: "IndexError", msg: fmt.Sprintf(
			"input %q is linked to output %d of node %q (%s), which has %d outputs",
			decl.Name, l.Slot, l.From, srcCls.Name, len(srcCls.Outputs))}
	}
	received := srcCls.Outputs[l.Slot].Type
	if !typesCompatible(received, decl) {
		return newError("return_type_mismatch", "Return type mismatch between linked nodes",
			fmt.Sprintf("%s, received_type(%s) mismatch input_type(%s)", decl.Name, received, v.declaredTypeString(decl)),
			map[string]any{"input_name": decl.Name, "input_config": v.inputConfig(decl),
				"received_type": received, "linked_node": []any{l.From, int64(l.Slot)}}), false, nil
	}
	if r, seen := v.memo[l.From]; seen && !r.done {
		return newError("dependency_cycle", "Dependency cycle detected",
			fmt.Sprintf("%s: node '%s' depends on this node", decl.Name, l.From),
			map[string]any{"input_name": decl.Name, "linked_node": []any{l.From, int64(l.Slot)}}), false, nil
	}
	r, inner := v.node(l.From)
	if inner != nil {
		v.memo[l.From] = &nodeResult{done: true, reasons: []*Error{newError(
			"exception_during_inner_validation", "Exception when validating inner node", inner.msg,
			map[string]any{"input_name": decl.Name, "input_config": v.inputConfig(decl),
				"exception_message": inner.msg, "exception_type": inner.typ,
				"traceback": inner.traceback(), "linked_node": []any{l.From, int64(l.Slot)}})}}
		return nil, false, nil
	}
	return nil, r.valid, nil
}

// literal unwraps, coerces and range-checks a widget value, writing the
// coerced value back into the prompt.
func (v *validator) literal(decl *nodes.Input, in *Input) *Error {
	raw := in.Value
	val := normalize(raw)
	if m, ok := val.(map[string]any); ok {
		if inner, has := m["__value__"]; has {
			val = inner
			in.dirty = true
		}
	}
	coerced, err := coerce(decl.Type, val)
	if err != nil {
		in.Value = val
		return newError("invalid_input_type",
			fmt.Sprintf("Failed to convert an input value to a %s value", decl.Type),
			fmt.Sprintf("%s, %s, %s", decl.Name, pyStr(val), err),
			map[string]any{"input_name": decl.Name, "input_config": v.inputConfig(decl),
				"received_value": receivedValue(raw, val), "exception_message": err.Error()})
	}
	if isScalarType(decl.Type) {
		in.dirty = true
	}
	val = coerced
	in.Value = val
	if min, has := decl.Options["min"]; has {
		if c, ok := pyCompare(val, min); ok && c < 0 {
			return newError("value_smaller_than_min",
				fmt.Sprintf("Value %s smaller than min of %s", pyStr(val), pyStr(normalizeOption(min))), decl.Name,
				map[string]any{"input_name": decl.Name, "input_config": v.inputConfig(decl), "received_value": receivedValue(raw, val)})
		}
	}
	if max, has := decl.Options["max"]; has {
		if c, ok := pyCompare(val, max); ok && c > 0 {
			return newError("value_bigger_than_max",
				fmt.Sprintf("Value %s bigger than max of %s", pyStr(val), pyStr(normalizeOption(max))), decl.Name,
				map[string]any{"input_name": decl.Name, "input_config": v.inputConfig(decl), "received_value": receivedValue(raw, val)})
		}
	}
	if decl.IsCombo() {
		choices := v.comboValues(decl)
		for _, c := range choices {
			if pyEqual(val, c) {
				return nil
			}
		}
		var config any = v.inputConfigWith(decl, choices)
		list := pyRepr(normalizeOption(choices))
		if len(choices) > 20 {
			list = fmt.Sprintf("(list of length %d)", len(choices))
			config = nil
		}
		return newError("value_not_in_list", "Value not in list",
			fmt.Sprintf("%s: '%s' not in %s", decl.Name, pyStr(val), list),
			map[string]any{"input_name": decl.Name, "input_config": config, "received_value": receivedValue(raw, val)})
	}
	return nil
}

// receivedValue is a reason's received_value: the value as validated, or,
// when that holds a number JSON cannot carry (a float64 overflowed to ±Inf,
// e.g. "seed": 1e400), the JSON text that was received, as a string. The
// answer names what the client sent, as ComfyUI's does, and stays valid
// JSON (encoding/json refuses ±Inf and NaN).
func receivedValue(raw, val any) any {
	if jsonFinite(val) {
		return val
	}
	if text, err := json.Marshal(raw); err == nil {
		return string(text)
	}
	return pyRepr(val)
}

// jsonFinite reports whether v holds no ±Inf or NaN at any depth.
func jsonFinite(v any) bool {
	switch x := v.(type) {
	case float64:
		return !math.IsInf(x, 0) && !math.IsNaN(x)
	case float32:
		return jsonFinite(float64(x))
	case []any:
		for _, e := range x {
			if !jsonFinite(e) {
				return false
			}
		}
	case map[string]any:
		for _, e := range x {
			if !jsonFinite(e) {
				return false
			}
		}
	}
	return true
}

func isScalarType(t string) bool {
	return t == "INT" || t == "FLOAT" || t == "STRING" || t == "BOOLEAN"
}

// coerce applies upstream's int()/float()/str()/bool() by declared type;
// other types pass through unchanged.
func coerce(typ string, val any) (any, error) {
	switch typ {
	case "INT":
		return pyInt(val)
	case "FLOAT":
		return pyFloat(val)
	case "STRING":
		return pyStr(val), nil
	case "BOOLEAN":
		return PyBool(val), nil
	}
	return val, nil
}

// custom runs the class's ValidateInputs hook with the literal inputs
// (linked inputs are absent, as upstream passes them as None).
func (v *validator) custom(n *Node, cls *nodes.Class) (reason *Error, exc *exception) {
	in := nodes.Inputs{}
	for _, i := range n.Inputs {
		if _, _, declared := cls.InputByName(i.Name); !declared {
			continue
		}
		switch i.Value.(type) {
		case Link, []any:
			in[i.Name] = nil
		default:
			in[i.Name] = normalize(i.Value)
		}
	}
	for _, h := range cls.Hidden {
		if h.Type == "UNIQUE_ID" {
			in[h.Name] = n.ID
		}
	}
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				exc = &exception{typ: "panic", msg: fmt.Sprint(r), trace: stackLines(debug.Stack())}
			}
		}()
		return cls.ValidateInputs(v.env, in)
	}()
	if exc != nil || err == nil {
		return nil, exc
	}
	name := ""
	details := err.Error()
	if named, ok := err.(interface{ InputName() string }); ok {
		name = named.InputName()
		details = name + " - " + err.Error()
	}
	return newError("custom_validation_failed", "Custom validation failed for node", details,
		map[string]any{"input_name": name}), nil
}

// collectErrors adds every invalid node with reasons of its own that the
// failed output o depends on (o included) to node_errors.
func (v *validator) collectErrors(o string, out map[string]*NodeError) {
	seen := map[string]bool{}
	var walk func(id string)
	walk = func(id string) {
		if seen[id] {
			return
		}
		seen[id] = true
		r, ok := v.memo[id]
		if !ok {
			return
		}
		if !r.valid && len(r.reasons) > 0 {
			ne := out[id]
			if ne == nil {
				ne = &NodeError{Errors: r.reasons, DependentOutputs: []string{}, ClassType: v.p.Nodes[id].ClassType}
				out[id] = ne
			}
			ne.DependentOutputs = append(ne.DependentOutputs, o)
		}
		for _, in := range v.p.Nodes[id].Inputs {
			if l, isLink := in.Value.(Link); isLink {
				walk(l.From)
			}
		}
	}
	walk(o)
}

// inputConfig is upstream's (input_type, extra_info) pair, rendered as in
// /object_info: [TYPE or [choices...], {options}].
func (v *validator) inputConfig(decl *nodes.Input) []any {
	var choices []any
	if decl.Choices != nil || decl.ChoicesFunc != nil {
		choices = v.comboValues(decl)
	}
	return v.inputConfigWith(decl, choices)
}

func (v *validator) inputConfigWith(decl *nodes.Input, choices []any) []any {
	var head any = decl.Type
	if decl.Choices != nil || decl.ChoicesFunc != nil {
		if choices == nil {
			choices = []any{}
		}
		head = choices
	}
	opts := map[string]any(decl.Options)
	if opts == nil {
		opts = map[string]any{}
	}
	return []any{head, opts}
}

// declaredTypeString renders the declared type as upstream's message does
// (a combo's type is its Python list).
func (v *validator) declaredTypeString(decl *nodes.Input) string {
	if decl.Choices != nil || decl.ChoicesFunc != nil {
		return pyRepr(normalizeOption(v.comboValues(decl)))
	}
	return decl.Type
}

// comboValues lists a combo's values once per validation: a ChoicesFunc
// may walk model folders, and a prompt may hold many loaders.
func (v *validator) comboValues(decl *nodes.Input) []any {
	if vals, ok := v.combos[decl]; ok {
		return vals
	}
	vals := decl.ComboValues(v.env)
	v.combos[decl] = vals
	return vals
}

// normalizeOption makes Go option values (int, float32, []string, ...)
// printable by pyRepr.
func normalizeOption(v any) any {
	switch x := v.(type) {
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case uint32:
		return int64(x)
	case float32:
		return float64(x)
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalizeOption(e)
		}
		return out
	}
	return normalize(v)
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func stackLines(stack []byte) []string {
	lines := strings.Split(strings.TrimRight(string(stack), "\n"), "\n")
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		out = append(out, l+"\n")
	}
	return out
}
