package nodes

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math/big"
	"slices"
)

// unsupportedInfoFields are /object_info fields that NodeInfo cannot emit
// yet (newer ComfyUI fields and the v3 schema's extras).
var unsupportedInfoFields = map[string]bool{
	"essentials_category": true, "has_intermediate_output": true,
}

// CompareNodeInfo compares a rendered /object_info entry with ComfyUI's
// (raw JSON of one class). diffs are real mismatches. gaps are fields of
// newer ComfyUI versions that NodeInfo does not emit (null or false there).
// Numbers compare by value (8 equals 8.0).
func CompareNodeInfo(got *NodeInfo, want json.RawMessage) (diffs, gaps []string, err error) {
	gb, err := json.Marshal(got)
	if err != nil {
		return nil, nil, err
	}
	var g, w map[string]any
	if err := decodeNumbers(gb, &g); err != nil {
		return nil, nil, err
	}
	if err := decodeNumbers(want, &w); err != nil {
		return nil, nil, err
	}
	for _, k := range unionKeys(g, w) {
		gv, gok := g[k]
		wv, wok := w[k]
		switch {
		case !gok && unsupportedInfoFields[k]:
			gaps = append(gaps, fmt.Sprintf("%s: not emitted by NodeInfo (ComfyUI: %s)", k, short(wv)))
		case !gok && isV3Empty(wv):
			gaps = append(gaps, fmt.Sprintf("%s: v3 unpruned %s not emitted", k, short(wv)))
		case !gok:
			diffs = append(diffs, fmt.Sprintf("%s: missing, want %s", k, short(wv)))
		case !wok:
			diffs = append(diffs, fmt.Sprintf("%s: unexpected %s", k, short(gv)))
		default:
			diffs = append(diffs, deepDiff(k, gv, wv)...)
		}
	}
	return diffs, gaps, nil
}

// unionKeys is the sorted keys of a and b together.
func unionKeys(a, b map[string]any) []string {
	keys := slices.Collect(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

func decodeNumbers(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}

func short(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 120 {
		return string(b[:117]) + "..."
	}
	return string(b)
}

// isV3Empty reports the values a v3 node's unpruned info carries for unset
// fields: null, false, or a list of nulls.
func isV3Empty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case bool:
		return !x
	case []any:
		for _, e := range x {
			if e != nil {
				return false
			}
		}
		return true
	}
	return false
}

func deepDiff(path string, got, want any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: got %s, want %s", path, short(got), short(want))}
		}
		var out []string
		for _, k := range unionKeys(g, w) {
			gv, gok := g[k]
			wv, wok := w[k]
			switch {
			case !gok:
				out = append(out, fmt.Sprintf("%s.%s: missing, want %s", path, k, short(wv)))
			case !wok:
				out = append(out, fmt.Sprintf("%s.%s: unexpected %s", path, k, short(gv)))
			default:
				out = append(out, deepDiff(path+"."+k, gv, wv)...)
			}
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s: got %s, want %s", path, short(got), short(want))}
		}
		var out []string
		for i := range w {
			out = append(out, deepDiff(fmt.Sprintf("%s[%d]", path, i), g[i], w[i])...)
		}
		return out
	case json.Number:
		g, ok := got.(json.Number)
		if !ok || !sameNumber(g, w) {
			return []string{fmt.Sprintf("%s: got %s, want %s", path, short(got), w)}
		}
		return nil
	default:
		if got != want {
			return []string{fmt.Sprintf("%s: got %s, want %s", path, short(got), short(want))}
		}
		return nil
	}
}

func sameNumber(a, b json.Number) bool {
	ra, ok1 := new(big.Rat).SetString(a.String())
	rb, ok2 := new(big.Rat).SetString(b.String())
	return ok1 && ok2 && ra.Cmp(rb) == 0
}
