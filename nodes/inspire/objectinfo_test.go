package inspire

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"comfyd/nodes"
)

func TestObjectInfoMatchesInspirePack(t *testing.T) {
	b, err := os.ReadFile("../../testdata/object_info.comfyui.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref map[string]json.RawMessage
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	r := nodes.NewRegistry()
	Register(r)
	for name := range ref {
		if strings.HasSuffix(name, "//Inspire") && !contains(r.Names(), name) {
			t.Errorf("%s is not registered", name)
		}
	}
	for _, name := range r.Names() {
		t.Run(name, func(t *testing.T) {
			want, ok := ref[name]
			if !ok {
				t.Fatalf("%s is not in the reference /object_info", name)
			}
			c, _ := r.Get(name)
			diffs, gaps, err := nodes.CompareNodeInfo(c.Info(&nodes.Env{}), want)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range diffs {
				t.Error(d)
			}
			for _, g := range gaps {
				t.Log("framework gap:", g)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
