package graph

import (
	"strings"

	"comfyd/nodes"
)

// typesCompatible is upstream's validate_node_input in its non-strict mode
// (spec 2.3.1): equal types match, otherwise the comma-separated sets must
// intersect. "*" on either side matches anything (custom nodes' "any"
// type). A combo input accepts only a combo ("COMBO") or "*" output.
func typesCompatible(received string, decl *nodes.Input) bool {
	if decl.Choices != nil || decl.ChoicesFunc != nil || decl.Type == "" {
		return received == "COMBO" || received == "*"
	}
	return linkTypesMatch(received, decl.Type)
}

func linkTypesMatch(received, declared string) bool {
	if received == declared || received == "*" || declared == "*" {
		return true
	}
	if !strings.Contains(received, ",") && !strings.Contains(declared, ",") {
		return false
	}
	for _, r := range strings.Split(received, ",") {
		r = strings.TrimSpace(r)
		for _, d := range strings.Split(declared, ",") {
			d = strings.TrimSpace(d)
			if r == d || r == "*" || d == "*" {
				return true
			}
		}
	}
	return false
}
