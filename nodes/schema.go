// Package nodes is comfyd's node framework: the schema types behind
// /object_info, the registry, and the context a node runs with. Node
// implementations live in subpackages (nodes/core, nodes/inspire, ...), one
// family each, and register themselves explicitly with a Registry.
package nodes

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Options are the JSON options of an input spec (default, min, max, step,
// tooltip, lazy, rawLink, ...). Keys are written in sorted order; ComfyUI's
// clients read them by name, never by position. A nil Options renders as
// [TYPE], an empty one as [TYPE, {}] (what ComfyUI's v3 nodes send).
type Options map[string]any

// Input declares one input socket or widget.
type Input struct {
	Name string
	// Type is INT, FLOAT, STRING, BOOLEAN, a link type (MODEL, LATENT, ...),
	// a comma-joined union ("INT,FLOAT") or "*". Empty when the input is a
	// legacy combo (Choices or ChoicesFunc set).
	Type string
	// Choices are the values of a legacy combo, written as [[...], options].
	Choices []any
	// ChoicesFunc computes combo values when they depend on the folders
	// (checkpoint names, input images). It wins over Choices.
	ChoicesFunc func(env *Env) []any
	Options     Options
}

// IsCombo reports whether the input is a dropdown.
func (in *Input) IsCombo() bool {
	return in.Type == "" || in.Type == "COMBO" || in.Choices != nil || in.ChoicesFunc != nil
}

// ComboValues returns the allowed values of a combo input.
func (in *Input) ComboValues(env *Env) []any {
	if in.ChoicesFunc != nil {
		return in.ChoicesFunc(env)
	}
	if in.Choices != nil {
		return in.Choices
	}
	if v, ok := in.Options["options"].([]any); ok {
		return v
	}
	return nil
}

// Lazy reports the "lazy" option: the input is only evaluated on request.
func (in *Input) Lazy() bool { b, _ := in.Options["lazy"].(bool); return b }

// RawLink reports the "rawLink" option: the node receives the link itself.
func (in *Input) RawLink() bool { b, _ := in.Options["rawLink"].(bool); return b }

// spec renders the input as ComfyUI's [TYPE] / [TYPE, options] /
// [[choices], options] array.
func (in *Input) spec(env *Env) []any {
	var head any = in.Type
	if in.Choices != nil || in.ChoicesFunc != nil {
		vals := in.ComboValues(env)
		if vals == nil {
			vals = []any{}
		}
		head = vals
	}
	if in.Options == nil {
		return []any{head}
	}
	return []any{head, in.Options}
}

// Hidden declares an input that the executor fills (PROMPT, EXTRA_PNGINFO,
// UNIQUE_ID, DYNPROMPT).
type Hidden struct {
	Name string // e.g. "prompt"
	Type string // e.g. "PROMPT"
}

// Output declares one output slot.
type Output struct {
	Type    string
	Name    string // defaults to Type
	IsList  bool
	Tooltip string
}

// Class is one node type: its schema and its behaviour.
type Class struct {
	Name         string
	DisplayName  string
	Description  string
	Category     string
	PythonModule string

	Required []Input
	Optional []Input
	Hidden   []Hidden
	Outputs  []Output

	// SearchAliases are extra words the frontend's node search matches.
	SearchAliases []string
	// V3 marks a node that ComfyUI defines with its v3 schema API: its
	// /object_info entry is the unpruned conversion, with every field
	// present and null or false when unset.
	V3 bool

	OutputNode    bool
	InputIsList   bool
	NotIdempotent bool
	Deprecated    bool
	Experimental  bool

	// Run executes one call (or, with InputIsList, the whole lists).
	Run Func
	// IsChanged, when set, is called with the literal inputs before a run;
	// its result joins the cache key (ComfyUI's IS_CHANGED). Return
	// math.NaN() to always run.
	IsChanged func(ctx *Context, in Inputs) (any, error)
	// ValidateInputs, when set, checks literal inputs during validation
	// (ComfyUI's VALIDATE_INPUTS); a non-nil error becomes a
	// custom_validation_failed node error.
	ValidateInputs func(env *Env, in Inputs) error
	// CheckLazyStatus returns the names of lazy inputs still needed.
	CheckLazyStatus func(ctx *Context, in Inputs) ([]string, error)
}

// Func is a node's function.
type Func func(ctx *Context, in Inputs) (Result, error)

// Result is what one node call returns: one value per output slot (a []any
// for slots declared IsList) and optional UI data (section 5.1 of the API
// spec), e.g. {"images": [FileRef...]}.
type Result struct {
	Outputs []any
	UI      UI
}

// UI maps a media key ("images", "latents", "text") to its items.
type UI map[string][]any

// FileRef is how UI results reference a saved file.
type FileRef struct {
	Filename  string `json:"filename"`
	Subfolder string `json:"subfolder"`
	Type      string `json:"type"`
}

// Blocker is ComfyUI's ExecutionBlocker: a value that stops any node it
// reaches. A nil Message blocks silently.
type Blocker struct {
	Message *string
}

// InputByName finds a declared input and whether it is required.
func (c *Class) InputByName(name string) (in *Input, required bool, ok bool) {
	for i := range c.Required {
		if c.Required[i].Name == name {
			return &c.Required[i], true, true
		}
	}
	for i := range c.Optional {
		if c.Optional[i].Name == name {
			return &c.Optional[i], false, true
		}
	}
	return nil, false, false
}

// OutputTypes lists the output types in slot order.
func (c *Class) OutputTypes() []string {
	out := make([]string, len(c.Outputs))
	for i, o := range c.Outputs {
		out[i] = o.Type
	}
	return out
}

// Info renders the class as its /object_info entry.
func (c *Class) Info(env *Env) *NodeInfo {
	info := &NodeInfo{
		Input:         map[string]map[string]any{},
		InputOrder:    map[string][]string{},
		Output:        make([]string, len(c.Outputs)),
		OutputIsList:  make([]bool, len(c.Outputs)),
		OutputName:    make([]string, len(c.Outputs)),
		Name:          c.Name,
		DisplayName:   c.DisplayName,
		Description:   c.Description,
		PythonModule:  c.PythonModule,
		Category:      c.Category,
		OutputNode:    c.OutputNode,
		Deprecated:    c.Deprecated,
		Experimental:  c.Experimental,
		IsInputList:   c.InputIsList,
		V3:            c.V3,
		SearchAliases: c.SearchAliases,
	}
	if info.SearchAliases == nil && !c.V3 {
		info.SearchAliases = []string{}
	}
	if info.DisplayName == "" && !c.V3 {
		info.DisplayName = c.Name
	}
	if info.PythonModule == "" {
		info.PythonModule = "nodes"
	}
	if info.Category == "" {
		info.Category = "sd"
	}
	group := func(key string, ins []Input) {
		if len(ins) == 0 {
			return
		}
		m := make(map[string]any, len(ins))
		order := make([]string, len(ins))
		for i := range ins {
			m[ins[i].Name] = ins[i].spec(env)
			order[i] = ins[i].Name
		}
		info.Input[key] = m
		info.InputOrder[key] = order
	}
	group("required", c.Required)
	group("optional", c.Optional)
	if len(c.Hidden) > 0 {
		m := make(map[string]any, len(c.Hidden))
		order := make([]string, len(c.Hidden))
		for i, h := range c.Hidden {
			m[h.Name] = h.Type
			order[i] = h.Name
		}
		info.Input["hidden"] = m
		info.InputOrder["hidden"] = order
	}
	hasTips := false
	for i, o := range c.Outputs {
		info.Output[i] = o.Type
		info.OutputIsList[i] = o.IsList
		info.OutputName[i] = o.Name
		if o.Name == "" {
			info.OutputName[i] = o.Type
		}
		hasTips = hasTips || o.Tooltip != ""
	}
	if hasTips || c.V3 {
		info.OutputTooltips = make([]*string, len(c.Outputs))
		for i, o := range c.Outputs {
			if o.Tooltip != "" {
				info.OutputTooltips[i] = &c.Outputs[i].Tooltip
			}
		}
	}
	return info
}

// NodeInfo is one /object_info entry. It marshals with ComfyUI's key
// order, in the pruned v1 shape or, for V3 classes, the unpruned one.
type NodeInfo struct {
	Input          map[string]map[string]any
	InputOrder     map[string][]string
	IsInputList    bool
	Output         []string
	OutputIsList   []bool
	OutputName     []string
	OutputTooltips []*string // nil entries are tooltips a v3 node leaves unset
	Name           string
	DisplayName    string // "" on a V3 class renders as null
	Description    string
	PythonModule   string
	Category       string
	OutputNode     bool
	Deprecated     bool
	Experimental   bool
	SearchAliases  []string
	V3             bool
}

// MarshalJSON writes the fields in the order ComfyUI's server does.
func (n *NodeInfo) MarshalJSON() ([]byte, error) {
	var fields []field
	add := func(k string, v any) { fields = append(fields, field{k, v}) }
	add("input", n.Input)
	add("input_order", n.InputOrder)
	add("is_input_list", n.IsInputList)
	add("output", n.Output)
	add("output_is_list", n.OutputIsList)
	add("output_name", n.OutputName)
	if n.V3 {
		add("output_tooltips", n.OutputTooltips)
		add("output_matchtypes", nil)
	}
	add("name", n.Name)
	if n.V3 && n.DisplayName == "" {
		add("display_name", nil)
	} else {
		add("display_name", n.DisplayName)
	}
	add("description", n.Description)
	add("python_module", n.PythonModule)
	add("category", n.Category)
	add("output_node", n.OutputNode)
	switch {
	case n.V3:
		add("deprecated", n.Deprecated)
		add("experimental", n.Experimental)
		add("dev_only", false)
		add("api_node", false)
		add("price_badge", nil)
	default:
		if n.OutputTooltips != nil {
			add("output_tooltips", n.OutputTooltips)
		}
		if n.Deprecated {
			add("deprecated", true)
		}
		if n.Experimental {
			add("experimental", true)
		}
	}
	add("search_aliases", n.SearchAliases)
	return marshalOrdered(fields)
}

type field struct {
	key   string
	value any
}

func marshalOrdered(fields []field) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, _ := json.Marshal(f.key)
		buf.Write(k)
		buf.WriteByte(':')
		v, err := json.Marshal(f.value)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.key, err)
		}
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}
