package server

import (
	"encoding/json"
	"strings"
)

// Job statuses.
const (
	jobPending    = "pending"
	jobInProgress = "in_progress"
	jobCompleted  = "completed"
	jobFailed     = "failed"
	jobCancelled  = "cancelled"
)

var jobStatuses = []string{jobPending, jobInProgress, jobCompleted, jobFailed, jobCancelled}

// queueJob converts a queued item.
func queueJob(it *queueItem, status string) Job {
	return Job{
		ID: it.promptID, Status: status, Priority: it.number,
		CreateTime: extraInt(it.extraData, "create_time"), WorkflowID: workflowID(it.extraData),
	}
}

func extraInt(o *orderedObject, key string) *int64 {
	raw, ok := o.Get(key)
	if !ok {
		return nil
	}
	var f float64
	if json.Unmarshal(raw, &f) != nil {
		return nil
	}
	n := int64(f)
	return &n
}

// workflowID is extra_data.extra_pnginfo.workflow.id when it is a string.
func workflowID(o *orderedObject) *string {
	raw, ok := o.Get("extra_pnginfo")
	if !ok {
		return nil
	}
	var png struct {
		Workflow struct {
			ID any `json:"id"`
		} `json:"workflow"`
	}
	if json.Unmarshal(raw, &png) != nil {
		return nil
	}
	if s, ok := png.Workflow.ID.(string); ok {
		return &s
	}
	return nil
}

// historyJob summarises a finished run for the jobs list.
func historyJob(it *queueItem, ev *runEvents, out Outcome) Job {
	j := queueJob(it, jobCompleted)
	ev.mu.Lock()
	if ev.startMS != 0 {
		t := ev.startMS
		j.ExecutionStartTime = &t
	}
	if ev.endMS != 0 {
		t := ev.endMS
		j.ExecutionEndTime = &t
	}
	if !out.Success {
		j.Status = jobFailed
		if ev.interrupted {
			j.Status = jobCancelled
		}
		j.ExecutionError = ev.errData
	}
	ev.mu.Unlock()
	j.OutputsCount, j.PreviewOutput = summariseOutputs(out.Outputs)
	return j
}

var threeDExts = []string{".obj", ".fbx", ".gltf", ".glb", ".usdz"}

func is3D(name string) bool {
	lower := strings.ToLower(name)
	for _, e := range threeDExts {
		if strings.HasSuffix(lower, e) {
			return true
		}
	}
	return false
}

// summariseOutputs counts output items (all keys but "animated"; strings
// only when they name a 3D file) and picks the first previewable item,
// preferring type "output".
func summariseOutputs(outs []NodeOutput) (int, map[string]any) {
	count := 0
	var preview, fallback map[string]any
	for _, o := range outs {
		for _, key := range sortedKeys(o.UI) {
			if key == "animated" {
				continue
			}
			for _, item := range o.UI[key] {
				if s, ok := item.(string); ok {
					if is3D(s) {
						count++
					}
					continue
				}
				count++
				m := itemMap(item)
				if m == nil || !previewable(key, m) {
					continue
				}
				p := map[string]any{"nodeId": o.NodeID, "mediaType": key}
				for k, v := range m {
					p[k] = v
				}
				if m["type"] == "output" && preview == nil {
					preview = p
				} else if fallback == nil {
					fallback = p
				}
			}
		}
	}
	if preview == nil {
		preview = fallback
	}
	return count, preview
}

func previewable(key string, m map[string]any) bool {
	switch key {
	case "images", "video", "audio", "3d":
		return true
	}
	if f, ok := m["format"].(string); ok && (strings.HasPrefix(f, "video/") || strings.HasPrefix(f, "audio/")) {
		return true
	}
	name, _ := m["filename"].(string)
	return is3D(name)
}

// itemMap turns a UI item (a nodes.FileRef, a map, ...) into a map.
func itemMap(item any) map[string]any {
	if m, ok := item.(map[string]any); ok {
		return m
	}
	raw, err := json.Marshal(item)
	if err != nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return m
}
