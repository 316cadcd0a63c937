package server

import (
	"bytes"
	"encoding/json"
)

// historyEntry is one /history value (spec 5.2): "prompt" is the queue
// item, "outputs" and "meta" are keyed by node id in execution order.
type historyEntry struct {
	Prompt  json.RawMessage
	Outputs []NodeOutput
	Status  HistoryStatus
}

func (h historyEntry) MarshalJSON() ([]byte, error) {
	keys := make([]string, len(h.Outputs))
	uis := make([]json.RawMessage, len(h.Outputs))
	metas := make([]json.RawMessage, len(h.Outputs))
	for i, o := range h.Outputs {
		keys[i] = o.NodeID
		ui, err := json.Marshal(o.UI)
		if err != nil {
			return nil, err
		}
		uis[i] = ui
		m := o.Meta
		if m.NodeID == "" {
			m.NodeID = o.NodeID
		}
		if m.DisplayNode == "" {
			m.DisplayNode = m.NodeID
		}
		if m.RealNodeID == "" {
			m.RealNodeID = m.NodeID
		}
		metas[i], _ = json.Marshal(m)
	}
	status, err := json.Marshal(h.Status)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(`{"prompt": `)
	b.Write(h.Prompt)
	b.WriteString(`, "outputs": `)
	writeOrdered(&b, keys, uis)
	b.WriteString(`, "status": `)
	b.Write(status)
	b.WriteString(`, "meta": `)
	writeOrdered(&b, keys, metas)
	b.WriteByte('}')
	return b.Bytes(), nil
}
