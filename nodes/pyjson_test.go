package nodes

import (
	"encoding/json"
	"testing"
)

func TestPythonJSON(t *testing.T) {
	cases := []struct {
		name string
		in   any
		want string
	}{
		{"raw keeps key order and number text", json.RawMessage(`{"b":1,"a":[1.0,2e3,-0],"c":{"x":null,"y":true}}`),
			`{"b": 1, "a": [1.0, 2e3, -0], "c": {"x": null, "y": true}}`},
		{"go map sorts keys", map[string]any{"z": "v", "a": false}, `{"a": false, "z": "v"}`},
		{"ascii escapes", json.RawMessage(`"é/<>&\u0001\n\t\"\\"`), `"\u00e9/<>&\u0001\n\t\"\\"`},
		{"astral plane as surrogates", "🙂", `"\ud83d\ude42"`},
		{"DEL is escaped", "\x7f", `"\u007f"`},
		{"empty containers", json.RawMessage(`{"a":[],"b":{}}`), `{"a": [], "b": {}}`},
	}
	for _, c := range cases {
		got, err := PythonJSON(c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got != c.want {
			t.Errorf("%s: got %s, want %s", c.name, got, c.want)
		}
	}
	if _, err := PythonJSON(json.RawMessage(`{"a":1} x`)); err == nil {
		t.Error("trailing data accepted")
	}
}
