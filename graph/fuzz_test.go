package graph

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

var knownTopLevel = map[string]bool{
	"invalid_prompt": true, "missing_node_type": true, "prompt_no_outputs": true,
	"prompt_outputs_failed_validation": true,
}

var knownReasons = map[string]bool{
	"required_input_missing": true, "bad_linked_input": true, "return_type_mismatch": true,
	"invalid_input_type": true, "value_smaller_than_min": true, "value_bigger_than_max": true,
	"value_not_in_list": true, "custom_validation_failed": true, "exception_during_validation": true,
	"exception_during_inner_validation": true, "dependency_cycle": true,
}

// FuzzDecodeValidate feeds arbitrary bytes through DecodePrompt and
// Validate: neither may panic, and the answer is either a plan (valid
// output nodes, a prompt that re-encodes as JSON) or a ComfyUI-shaped error.
// Seeds: testdata/fuzz/FuzzDecodeValidate.
func FuzzDecodeValidate(f *testing.F) {
	reg := testRegistry(&callLog{})
	f.Add([]byte(`{"1": {"class_type": "Const", "inputs": {"value": 1}}, "2": {"class_type": "Show", "inputs": {"value": ["1", 0]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := DecodePrompt(data)
		if err != nil {
			e, ok := err.(*Error)
			if !ok || e.Type != "invalid_prompt" || e.Message == "" || e.ExtraInfo == nil {
				t.Fatalf("decode error is not an invalid_prompt error object: %#v", err)
			}
			return
		}
		checkDecodeMatchesEncodingJSON(t, data, p)
		v := Validate(reg, nil, p, nil)
		body, err := json.Marshal(v.Body())
		if err != nil {
			t.Fatalf("error body does not encode: %v", err)
		}
		if !json.Valid(body) {
			t.Fatalf("invalid body JSON: %s", body)
		}
		for id, ne := range v.NodeErrors {
			if p.Nodes[id] == nil || len(ne.Errors) == 0 || len(ne.DependentOutputs) == 0 || ne.ClassType != p.Nodes[id].ClassType {
				t.Fatalf("malformed node error for %q: %s", id, body)
			}
			for _, e := range ne.Errors {
				if !knownReasons[e.Type] || e.Message == "" || e.ExtraInfo == nil {
					t.Fatalf("unknown or incomplete reason %q: %s", e.Type, body)
				}
			}
		}
		if !v.OK {
			if v.Error == nil || !knownTopLevel[v.Error.Type] || v.Error.ExtraInfo == nil || len(v.Outputs) != 0 {
				t.Fatalf("failed validation without a proper error: %s", body)
			}
			if v.Error.Type == "prompt_outputs_failed_validation" && len(v.NodeErrors) == 0 &&
				!strings.Contains(v.Error.Details, ":") {
				t.Fatalf("failed outputs without any reason: %s", body)
			}
			return
		}
		if v.Error != nil || len(v.Outputs) == 0 {
			t.Fatalf("valid prompt without outputs or with an error: %s", body)
		}
		for _, o := range v.Outputs {
			cls, ok := reg.Get(p.Nodes[o].ClassType)
			if !ok || !cls.OutputNode {
				t.Fatalf("planned output %q is not an output node", o)
			}
			if _, failed := v.NodeErrors[o]; failed {
				t.Fatalf("output %q is both planned and failed", o)
			}
		}
		enc, err := p.MarshalJSON()
		if err != nil || !json.Valid(enc) {
			t.Fatalf("validated prompt does not re-encode: %v\n%s", err, enc)
		}
		if _, err := DecodePrompt(enc); err != nil {
			t.Fatalf("re-encoded prompt does not decode: %v\n%s", err, enc)
		}
	})
}

// checkDecodeMatchesEncodingJSON compares DecodePrompt's scanner with
// encoding/json on the same bytes: same node set, class types and input
// values.
func checkDecodeMatchesEncodingJSON(t *testing.T, data []byte, p *Prompt) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var want map[string]map[string]any
	if err := dec.Decode(&want); err != nil {
		t.Fatalf("DecodePrompt accepted what encoding/json rejects (%v): %q", err, data)
	}
	if len(want) != len(p.IDs) {
		t.Fatalf("%d nodes, encoding/json finds %d", len(p.IDs), len(want))
	}
	for _, id := range p.IDs {
		w, n := want[id], p.Nodes[id]
		if ct, ok := w["class_type"].(string); ok && ct != n.ClassType {
			t.Fatalf("node %q class_type %q, encoding/json %q", id, n.ClassType, ct)
		}
		wi, _ := w["inputs"].(map[string]any)
		if len(wi) != len(n.Inputs) {
			t.Fatalf("node %q has %d inputs, encoding/json %d", id, len(n.Inputs), len(wi))
		}
		for _, in := range n.Inputs {
			if got, exp := normalize(in.Value), normalize(wi[in.Name]); !reflect.DeepEqual(got, exp) {
				t.Fatalf("node %q input %q = %#v, encoding/json %#v", id, in.Name, got, exp)
			}
		}
	}
}
