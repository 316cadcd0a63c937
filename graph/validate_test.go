package graph

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// jsonEqual compares got (marshalled) with the JSON text want.
func jsonEqual(t *testing.T, got any, want string) {
	t.Helper()
	data, err := json.Marshal(got)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var g, w any
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want JSON: %v\n%s", err, want)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("JSON mismatch\n got: %s\nwant: %s", data, compactJSON(want))
	}
}

func compactJSON(s string) string {
	var v any
	if json.Unmarshal([]byte(s), &v) != nil {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func mustDecode(t testing.TB, s string) *Prompt {
	t.Helper()
	p, err := DecodePrompt([]byte(s))
	if err != nil {
		t.Fatalf("DecodePrompt: %v", err)
	}
	return p
}

// stripTracebacks replaces non-empty traceback lists (Go stacks vary) by
// the marker "<trace>" after checking they are there.
func stripTracebacks(t *testing.T, v *Validation) {
	t.Helper()
	for _, ne := range v.NodeErrors {
		for _, e := range ne.Errors {
			if tb, ok := e.ExtraInfo["traceback"].([]string); ok && len(tb) > 0 {
				e.ExtraInfo["traceback"] = "<trace>"
			}
		}
	}
}

func TestValidateErrors(t *testing.T) {
	reg := testRegistry(&callLog{})
	cases := []struct {
		name    string
		prompt  string
		partial []string
		ok      bool
		outputs []string
		body    string
	}{
		{
			name:   "no outputs",
			prompt: `{"1": {"class_type": "Const", "inputs": {"value": 1}}}`,
			body: `{"error": {"type": "prompt_no_outputs", "message": "Prompt has no outputs", "details": "", "extra_info": {}},
				"node_errors": {}}`,
		},
		{
			name:   "missing class_type",
			prompt: `{"1": {"inputs": {}}}`,
			body: `{"error": {"type": "missing_node_type",
				"message": "Node 'ID #1' has no class_type. The workflow may be corrupted or a custom node is missing.",
				"details": "Node ID '#1'", "extra_info": {"node_id": "1", "class_type": null, "node_title": null}},
				"node_errors": {}}`,
		},
		{
			name:   "missing class_type with title",
			prompt: `{"7": {"inputs": {}, "_meta": {"title": "My Loader"}}}`,
			body: `{"error": {"type": "missing_node_type",
				"message": "Node 'My Loader' has no class_type. The workflow may be corrupted or a custom node is missing.",
				"details": "Node ID '#7'", "extra_info": {"node_id": "7", "class_type": null, "node_title": "My Loader"}},
				"node_errors": {}}`,
		},
		{
			name:   "unknown class, titled",
			prompt: `{"3": {"class_type": "Nope", "inputs": {}, "_meta": {"title": "Fancy"}}}`,
			body: `{"error": {"type": "missing_node_type", "message": "Node 'Fancy' not found. The custom node may not be installed.",
				"details": "Node ID '#3'", "extra_info": {"node_id": "3", "class_type": "Nope", "node_title": "Fancy"}},
				"node_errors": {}}`,
		},
		{
			name:   "unknown class, untitled",
			prompt: `{"3": {"class_type": "Nope", "inputs": {}}}`,
			body: `{"error": {"type": "missing_node_type", "message": "Node 'Nope' not found. The custom node may not be installed.",
				"details": "Node ID '#3'", "extra_info": {"node_id": "3", "class_type": "Nope", "node_title": "Nope"}},
				"node_errors": {}}`,
		},
		{
			name:   "required input missing",
			prompt: `{"2": {"class_type": "Show", "inputs": {}}}`,
			body: `{"error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation",
				"details": "Required input is missing: value", "extra_info": {}},
				"node_errors": {"2": {"errors": [{"type": "required_input_missing", "message": "Required input is missing",
					"details": "value", "extra_info": {"input_name": "value"}}], "dependent_outputs": ["2"], "class_type": "Show"}}}`,
		},
		{
			name:   "bad linked input",
			prompt: `{"2": {"class_type": "Show", "inputs": {"value": ["1"]}}}`,
			body: `{"error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation",
				"details": "Bad linked input, must be a length-2 list of [node_id, slot_index]: value", "extra_info": {}},
				"node_errors": {"2": {"errors": [{"type": "bad_linked_input",
					"message": "Bad linked input, must be a length-2 list of [node_id, slot_index]", "details": "value",
					"extra_info": {"input_name": "value", "input_config": ["INT,FLOAT", {}], "received_value": ["1"]}}],
					"dependent_outputs": ["2"], "class_type": "Show"}}}`,
		},
		{
			name: "return type mismatch",
			prompt: `{"1": {"class_type": "Const", "inputs": {"value": 1}},
				"2": {"class_type": "ModelSink", "inputs": {"model": ["1", 0]}}}`,
			body: `{"error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation",
				"details": "Return type mismatch between linked nodes: model, received_type(INT) mismatch input_type(MODEL)", "extra_info": {}},
				"node_errors": {"2": {"errors": [{"type": "return_type_mismatch", "message": "Return type mismatch between linked nodes",
					"details": "model, received_type(INT) mismatch input_type(MODEL)",
					"extra_info": {"input_name": "model", "input_config": ["MODEL", {}], "received_type": "INT", "linked_node": ["1", 0]}}],
					"dependent_outputs": ["2"], "class_type": "ModelSink"}}}`,
		},
		{
			name: "invalid input type upstream of the output",
			prompt: `{"1": {"class_type": "Const", "inputs": {"value": "abc"}},
				"2": {"class_type": "Show", "inputs": {"value": ["1", 0]}}}`,
			body: `{"error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation", "details": "", "extra_info": {}},
				"node_errors": {"1": {"errors": [{"type": "invalid_input_type", "message": "Failed to convert an input value to a INT value",
					"details": "value, abc, invalid literal for int() with base 10: 'abc'",
					"extra_info": {"input_name": "value", "input_config": ["INT", {"default": 0, "min": 0, "max": 100}],
						"received_value": "abc", "exception_message": "invalid literal for int() with base 10: 'abc'"}}],
					"dependent_outputs": ["2"], "class_type": "Const"}}}`,
		},
		// A number beyond float64 decodes to ±Inf, which JSON cannot
		// carry: received_value is the JSON text that was sent.
		{
			name: "int beyond float64",
			prompt: `{"1": {"class_type": "Const", "inputs": {"value": -1e400}},
				"2": {"class_type": "Show", "inputs": {"value": ["1", 0]}}}`,
			body: `{"error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation", "details": "", "extra_info": {}},
				"node_errors": {"1": {"errors": [{"type": "invalid_input_type", "message": "Failed to convert an input value to a INT value",
					"details": "value, -inf, cannot convert float infinity to integer",
					"extra_info": {"input_name": "value", "input_config": ["INT", {"default": 0, "min": 0, "max": 100}],
						"received_value": "-1e400", "exception_message": "cannot convert float infinity to integer"}}],
					"dependent_outputs": ["2"], "class_type": "Const"}}}`,
		},
		{
			name: "float beyond float64 is above max",
			prompt: `{"1": {"class_type": "Widgets", "inputs": {"f": 1E400, "s": "x", "b": true}},
				"2": {"class_type": "Show", "inputs": {"value": ["1", 0]}}}`,
			body: `{"error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation", "details": "", "extra_info": {}},
				"node_errors": {"1": {"errors": [{"type": "value_bigger_than_max", "message": "Value inf bigger than max of 10.0",
					"details": "f", "extra_info": {"input_name": "f", "input_config": ["FLOAT", {"min": 0.0, "max": 10.0}], "received_value": "1E400"}}],
					"dependent_outputs": ["2"], "class_type": "Widgets"}}}`,
		},
		{
			name:   "bad linked input holding a number beyond float64",
			prompt: `{"2": {"class_type": "Show", "inputs": {"value": ["1", 1e400, 0]}}}`,
			body: `{"error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation",
				"details": "Bad linked input, must be a length-2 list of [node_id, slot_index]: value", "extra_info": {}},
				"node_errors": {"2": {"errors": [{"type": "bad_linked_input",
					"message": "Bad linked input, must be a length-2 list of [node_id, slot_index]", "details": "value",
					"extra_info": {"input_name": "value", "input_config": ["INT,FLOAT", {}], "received_value": "[\"1\",1e400,0]"}}],
					"dependent_outputs": ["2"], "class_type": "Show"}}}`,
		},
		{
			name: "invalid input type: null",
			prompt: `{"1": {"class_type": "Const", "inputs": {"value": null}},
				"2": {"class_type": "Show", "inputs": {"value": ["1", 0]}}}`,
			body: `{"error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation", "details": "", "extra_info": {}},
				"node_errors": {"1": {"errors": [{"type": "invalid_input_type", "message": "Failed to convert an input value to a INT value",
					"details": "value, None, int() argument must be a string, a bytes-like object or a real number, not 'NoneType'",
					"extra_info": {"input_name": "value", "input_config": ["INT", {"default": 0, "min": 0, "max": 100}],
						"received_value": null, "exception_message": "int() argument must be a string, a bytes-like object or a real number, not 'NoneType'"}}],
					"dependent_outputs": ["2"], "class_type": "Const"}}}`,
		},
		{
			name: "smaller than min",
			prompt: `{"1": {"class_type": "Const", "inputs": {"value": -1}},
				"2": {"class_type": "Show", "inputs": {"value": ["1", 0]}}}`,
			body: `{"error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation", "details": "", "extra_info": {}},
				"node_errors": {"1": {"errors": [{"type": "value_smaller_than_min", "message": "Value -1 smaller than min of 0", "details": "value",
					"extra_info": {"input_name": "value", "input_config": ["INT", {"default": 0, "min": 0, "max": 100}], "received_value": -1}}],
					"dependent_outputs": ["2"], "class_type": "Const"}}}`,
		},
		{
			name: "bigger than max, float truncated first",
			prompt: `{"1": {"class_type": "Const", "inputs": {"value": 101.9}},
				"2": {"class_type": "Show", "inputs": {"value": ["1", 0]}}}`,
			body: `{"error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation", "details": "", "extra_info": {}},
				"node_errors": {"1": {"errors": [{"type": "value_bigger_than_max", "message": "Value 101 bigger than max of 100", "details": "value",
					"extra_info": {"input_name": "value", "input_config": ["INT", {"default": 0, "min": 0, "max": 100}], "received_value": 101}}],
					"dependent_outputs": ["2"], "class_type": "Const"}}}`,
		},
		{
			name: "float bigger than max",
			prompt: `{"1": {"class_type": "Widgets", "inputs": {"f": 12, "s": "x", "b": true}},
				"2": {"class_type": "Show", "inputs": {"value": ["1", 0]}}}`,
			body: `{"error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation", "details": "", "extra_info": {}},
				"node_errors": {"1": {"errors": [{"type": "value_bigger_than_max", "message": "Value 12.0 bigger than max of 10.0", "details": "f",
					"extra_info": {"input_name": "f", "input_config": ["FLOAT", {"min": 0, "max": 10}], "received_value": 12}}],
					"dependent_outputs": ["2"], "class_type": "Widgets"}}}`,
		},
		{
			name: "value not in list",
			prompt: `{"4": {"class_type": "Loader", "inputs": {"ckpt_name": "x.safetensors"}},
				"9": {"class_type": "ModelSink", "inputs": {"model": ["4", 0]}}}`,
			body: `{"error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation", "details": "", "extra_info": {}},
				"node_errors": {"4": {"errors": [{"type": "value_not_in_list", "message": "Value not in list",
					"details": "ckpt_name: 'x.safetensors' not in ['a.safetensors', 'b.safetensors']",
					"extra_info": {"input_name": "ckpt_name", "received_value": "x.safetensors",
						"input_config": [["a.safetensors", "b.safetensors"], {"tooltip": "The name of the checkpoint (model) to load."}]}}],
					"dependent_outputs": ["9"], "class_type": "Loader"}}}`,
		},
		{
			name: "value not in a long list",
			prompt: `{"1": {"class_type": "Widgets", "inputs": {"f": 1, "s": "x", "b": true, "many": "zz"}},
				"2": {"class_type": "Show", "inputs": {"value": ["1", 0]}}}`,
			body: `{"error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation", "details": "", "extra_info": {}},
				"node_errors": {"1": {"errors": [{"type": "value_not_in_list", "message": "Value not in list",
					"details": "many: 'zz' not in (list of length 25)",
					"extra_info": {"input_name": "many", "received_value": "zz", "input_config": null}}],
					"dependent_outputs": ["2"], "class_type": "Widgets"}}}`,
		},
		{
			name: "custom validation failed",
			prompt: `{"1": {"class_type": "Custom", "inputs": {"value": 13}},
				"2": {"class_type": "Show", "inputs": {"value": ["1", 0]}}}`,
			body: `{"error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation", "details": "", "extra_info": {}},
				"node_errors": {"1": {"errors": [{"type": "custom_validation_failed", "message": "Custom validation failed for node",
					"details": "13 is unlucky", "extra_info": {"input_name": ""}}],
					"dependent_outputs": ["2"], "class_type": "Custom"}}}`,
		},
		{
			name: "exception during inner validation",
			prompt: `{"1": {"class_type": "Custom", "inputs": {"value": 66}},
				"2": {"class_type": "Show", "inputs": {"value": ["1", 0]}}}`,
			body: `{"error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation", "details": "", "extra_info": {}},
				"node_errors": {"1": {"errors": [{"type": "exception_during_inner_validation", "message": "Exception when validating inner node",
					"details": "validator exploded",
					"extra_info": {"input_name": "value", "input_config": ["INT,FLOAT", {}], "exception_message": "validator exploded",
						"exception_type": "panic", "traceback": "<trace>", "linked_node": ["1", 0]}}],
					"dependent_outputs": ["2"], "class_type": "Custom"}}}`,
		},
		{
			name:   "exception during validation: link to a missing node",
			prompt: `{"2": {"class_type": "Show", "inputs": {"value": ["99", 0]}}}`,
			body: `{"error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation",
				"details": "Exception when validating node: input \"value\" is linked to node \"99\", which is not in the prompt", "extra_info": {}},
				"node_errors": {"2": {"errors": [{"type": "exception_during_validation", "message": "Exception when validating node",
					"details": "input \"value\" is linked to node \"99\", which is not in the prompt",
					"extra_info": {"exception_type": "KeyError", "traceback": []}}],
					"dependent_outputs": ["2"], "class_type": "Show"}}}`,
		},
		{
			name:   "exception during validation: a panicking combo list",
			prompt: `{"1": {"class_type": "BadCombo", "inputs": {"x": "a"}}}`,
			body: `{"error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation",
				"details": "Exception when validating node: no folders configured", "extra_info": {}},
				"node_errors": {"1": {"errors": [{"type": "exception_during_validation", "message": "Exception when validating node",
					"details": "no folders configured", "extra_info": {"exception_type": "panic", "traceback": "<trace>"}}],
					"dependent_outputs": ["1"], "class_type": "BadCombo"}}}`,
		},
		{
			name: "inner link to a missing output slot",
			prompt: `{"1": {"class_type": "Add", "inputs": {"a": ["0", 3], "b": ["0", 0]}},
				"0": {"class_type": "Const", "inputs": {"value": 1}},
				"2": {"class_type": "Show", "inputs": {"value": ["1", 0]}}}`,
			body: `{"error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation", "details": "", "extra_info": {}},
				"node_errors": {"1": {"errors": [{"type": "exception_during_inner_validation", "message": "Exception when validating inner node",
					"details": "input \"a\" is linked to output 3 of node \"0\" (Const), which has 1 outputs",
					"extra_info": {"input_name": "value", "input_config": ["INT,FLOAT", {}],
						"exception_message": "input \"a\" is linked to output 3 of node \"0\" (Const), which has 1 outputs",
						"exception_type": "IndexError", "traceback": [], "linked_node": ["1", 0]}}],
					"dependent_outputs": ["2"], "class_type": "Add"}}}`,
		},
		{
			name: "dependency cycle",
			prompt: `{"1": {"class_type": "Add", "inputs": {"a": ["2", 0], "b": ["2", 0]}},
				"2": {"class_type": "Add", "inputs": {"a": ["1", 0], "b": ["1", 0]}},
				"3": {"class_type": "Show", "inputs": {"value": ["1", 0]}}}`,
			body: `{"error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation", "details": "", "extra_info": {}},
				"node_errors": {"2": {"errors": [
					{"type": "dependency_cycle", "message": "Dependency cycle detected", "details": "a: node '1' depends on this node",
						"extra_info": {"input_name": "a", "linked_node": ["1", 0]}},
					{"type": "dependency_cycle", "message": "Dependency cycle detected", "details": "b: node '1' depends on this node",
						"extra_info": {"input_name": "b", "linked_node": ["1", 0]}}],
					"dependent_outputs": ["3"], "class_type": "Add"}}}`,
		},
		{
			name: "one output fails, the other runs",
			prompt: `{"1": {"class_type": "Const", "inputs": {"value": 500}},
				"2": {"class_type": "Show", "inputs": {"value": ["1", 0]}},
				"3": {"class_type": "Const", "inputs": {"value": 5}},
				"4": {"class_type": "Show", "inputs": {"value": ["3", 0]}}}`,
			ok: true, outputs: []string{"4"},
			body: `{"error": null, "node_errors": {"1": {"errors": [{"type": "value_bigger_than_max", "message": "Value 500 bigger than max of 100",
				"details": "value", "extra_info": {"input_name": "value", "input_config": ["INT", {"default": 0, "min": 0, "max": 100}], "received_value": 500}}],
				"dependent_outputs": ["2"], "class_type": "Const"}}}`,
		},
		{
			name: "shared bad node lists both outputs",
			prompt: `{"1": {"class_type": "Const", "inputs": {"value": 500}},
				"2": {"class_type": "Show", "inputs": {"value": ["1", 0]}},
				"3": {"class_type": "Sink", "inputs": {"value": ["1", 0]}}}`,
			body: `{"error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation", "details": "", "extra_info": {}},
				"node_errors": {"1": {"errors": [{"type": "value_bigger_than_max", "message": "Value 500 bigger than max of 100",
				"details": "value", "extra_info": {"input_name": "value", "input_config": ["INT", {"default": 0, "min": 0, "max": 100}], "received_value": 500}}],
				"dependent_outputs": ["2", "3"], "class_type": "Const"}}}`,
		},
		{
			name: "partial targets skip the broken output",
			prompt: `{"1": {"class_type": "Const", "inputs": {"value": 500}},
				"2": {"class_type": "Show", "inputs": {"value": ["1", 0]}},
				"4": {"class_type": "Show", "inputs": {"value": 3}}}`,
			partial: []string{"4", "1"},
			ok:      true, outputs: []string{"4"},
			body: `{"error": null, "node_errors": {}}`,
		},
		{
			name:    "empty partial targets",
			prompt:  `{"4": {"class_type": "Show", "inputs": {"value": 3}}}`,
			partial: []string{},
			body: `{"error": {"type": "prompt_no_outputs", "message": "Prompt has no outputs", "details": "", "extra_info": {}},
				"node_errors": {}}`,
		},
		{
			name: "union and wildcard links",
			prompt: `{"1": {"class_type": "Widgets", "inputs": {"f": 1, "s": "x", "b": true}},
				"2": {"class_type": "Show", "inputs": {"value": ["1", 0]}},
				"3": {"class_type": "Loader", "inputs": {"ckpt_name": "a.safetensors"}},
				"5": {"class_type": "Sink", "inputs": {"value": ["3", 1]}}}`,
			ok: true, outputs: []string{"2", "5"},
			body: `{"error": null, "node_errors": {}}`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := mustDecode(t, tc.prompt)
			v := Validate(reg, nil, p, tc.partial)
			if v.OK != tc.ok {
				t.Errorf("OK = %v, want %v", v.OK, tc.ok)
			}
			if tc.ok && !reflect.DeepEqual(v.Outputs, tc.outputs) {
				t.Errorf("outputs = %v, want %v", v.Outputs, tc.outputs)
			}
			stripTracebacks(t, v)
			jsonEqual(t, v.Body(), tc.body)
		})
	}
}

func TestValidateCoercesInPlace(t *testing.T) {
	reg := testRegistry(&callLog{})
	p := mustDecode(t, `{"1": {"class_type": "Widgets", "inputs": {"f": 2, "s": 5, "b": "false"}, "_meta": {"title": "W"}},
		"2": {"class_type": "Show", "inputs": {"value": ["1", 0]}},
		"3": {"class_type": "Const", "inputs": {"value": " 1_2 "}},
		"4": {"class_type": "Show", "inputs": {"value": ["3", 0]}},
		"5": {"class_type": "BigInt", "inputs": {"seed": 18446744073709551615}},
		"6": {"class_type": "Show", "inputs": {"value": ["5", 0]}},
		"7": {"class_type": "Const", "inputs": {"value": {"__value__": 7.9}}},
		"8": {"class_type": "Show", "inputs": {"value": ["7", 0]}}}`)
	v := Validate(reg, nil, p, nil)
	if !v.OK {
		t.Fatalf("validation failed: %+v", v.Body())
	}
	got, err := p.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"1":{"class_type":"Widgets","inputs":{"f":2.0,"s":"5","b":true},"_meta":{"title":"W"}},` +
		`"2":{"class_type":"Show","inputs":{"value":["1",0]}},` +
		`"3":{"class_type":"Const","inputs":{"value":12}},` +
		`"4":{"class_type":"Show","inputs":{"value":["3",0]}},` +
		`"5":{"class_type":"BigInt","inputs":{"seed":18446744073709551615}},` +
		`"6":{"class_type":"Show","inputs":{"value":["5",0]}},` +
		`"7":{"class_type":"Const","inputs":{"value":7}},` +
		`"8":{"class_type":"Show","inputs":{"value":["7",0]}}}`
	if string(got) != want {
		t.Errorf("coerced prompt\n got: %s\nwant: %s", got, want)
	}
	if s := p.Nodes["5"].Input("seed").Value; s != uint64(18446744073709551615) {
		t.Errorf("seed = %#v, want uint64 max", s)
	}
	if f := p.Nodes["1"].Input("f").Value; f != 2.0 {
		t.Errorf("f = %#v, want float64 2", f)
	}
}

func TestLinkTypesMatch(t *testing.T) {
	cases := []struct {
		received, declared string
		want               bool
	}{
		{"INT", "INT", true},
		{"INT", "FLOAT", false},
		{"INT", "INT,FLOAT", true},
		{"FLOAT , STRING", "INT, FLOAT", true},
		{"IMAGE", "*", true},
		{"*", "MODEL", true},
		{"MODEL", "CLIP,VAE", false},
	}
	for _, c := range cases {
		if got := linkTypesMatch(c.received, c.declared); got != c.want {
			t.Errorf("linkTypesMatch(%q, %q) = %v, want %v", c.received, c.declared, got, c.want)
		}
	}
}

func TestDecodePromptRejects(t *testing.T) {
	for _, bad := range []string{``, `[]`, `{"1": 5}`, `{"1": {"inputs": 3}}`, `{"1": {}} x`, `{"1": {"class_type": "A"`} {
		_, err := DecodePrompt([]byte(bad))
		var e *Error
		if err == nil || !asError(err, &e) || e.Type != "invalid_prompt" {
			t.Errorf("DecodePrompt(%q) = %v, want an invalid_prompt *Error", bad, err)
		}
	}
}

func asError(err error, target **Error) bool {
	e, ok := err.(*Error)
	if ok {
		*target = e
	}
	return ok
}

func TestDecodePromptKeepsOrderAndLinks(t *testing.T) {
	p := mustDecode(t, `{"10": {"class_type": "A", "inputs": {"z": ["2", 1], "a": [2, 1], "m": {"__value__": [1, 2]}, "s": 18446744073709551615}},
		"2": {"class_type": "B", "inputs": {}}}`)
	if !reflect.DeepEqual(p.IDs, []string{"10", "2"}) {
		t.Errorf("ids = %v", p.IDs)
	}
	n := p.Nodes["10"]
	var names []string
	for _, in := range n.Inputs {
		names = append(names, in.Name)
	}
	if strings.Join(names, ",") != "z,a,m,s" {
		t.Errorf("input order = %v", names)
	}
	if l, ok := n.Input("z").Value.(Link); !ok || l != (Link{"2", 1}) {
		t.Errorf("z = %#v, want Link", n.Input("z").Value)
	}
	if _, ok := n.Input("a").Value.([]any); !ok {
		t.Errorf("a = %#v, want a malformed link ([]any)", n.Input("a").Value)
	}
	if s := n.Input("s").Value.(json.Number); s.String() != "18446744073709551615" {
		t.Errorf("s = %v", s)
	}
	raw, _ := p.MarshalJSON()
	if compactJSON(string(raw)) != compactJSON(string(p.Raw)) || !strings.HasPrefix(string(raw), `{"10":`) {
		t.Errorf("unvalidated prompt does not round-trip: %s", raw)
	}
}

func TestPyFormatting(t *testing.T) {
	cases := []struct {
		v    any
		want string
	}{
		{1.0, "1.0"}, {0.5, "0.5"}, {1e16, "1e+16"}, {1.5e-5, "1.5e-05"}, {123456.789, "123456.789"},
		{int64(-3), "-3"}, {uint64(18446744073709551615), "18446744073709551615"},
		{nil, "None"}, {true, "True"}, {"it's", `"it's"`}, {"a\nb", `'a\nb'`},
		{[]any{"a", int64(1), 2.5, nil}, "['a', 1, 2.5, None]"},
		{map[string]any{"b": false, "a": "x"}, "{'a': 'x', 'b': False}"},
	}
	for _, c := range cases {
		if got := pyRepr(c.v); got != c.want {
			t.Errorf("pyRepr(%#v) = %s, want %s", c.v, got, c.want)
		}
	}
	ints := []struct {
		v    any
		want any
		err  string
	}{
		{"12", int64(12), ""}, {" -7 ", int64(-7), ""}, {"1_000", int64(1000), ""}, {"1.5", nil, "invalid literal for int() with base 10: '1.5'"},
		{3.99, int64(3), ""}, {-3.99, int64(-3), ""}, {true, int64(1), ""}, {"18446744073709551615", uint64(18446744073709551615), ""},
		{[]any{}, nil, "int() argument must be a string, a bytes-like object or a real number, not 'list'"},
	}
	for _, c := range ints {
		got, err := pyInt(c.v)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("pyInt(%#v) error = %v, want %q", c.v, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("pyInt(%#v) = %#v, %v; want %#v", c.v, got, err, c.want)
		}
	}
	if _, err := pyFloat("abc"); err == nil || err.Error() != "could not convert string to float: 'abc'" {
		t.Errorf("pyFloat(abc) error = %v", err)
	}
	if f, err := pyFloat(" 1e3 "); err != nil || f != 1000 {
		t.Errorf("pyFloat(1e3) = %v, %v", f, err)
	}
	if !PyBool("false") || PyBool("") || PyBool(0.0) {
		t.Error("PyBool truthiness wrong")
	}
}
