package server

import (
	"encoding/json"

	"comfyd/graph"
)

// Wire types of the ComfyUI HTTP and WebSocket API (spec comfy-api.md
// sections 2, 3, 5). Handlers build these; nothing here has behaviour.

// ErrorObject is ComfyUI's error shape {"type","message","details","extra_info"}.
type ErrorObject struct {
	Type      string         `json:"type"`
	Message   string         `json:"message"`
	Details   string         `json:"details"`
	ExtraInfo map[string]any `json:"extra_info"`
}

// PromptError is the 400 body of POST /prompt.
type PromptError struct {
	Error      ErrorObject    `json:"error"`
	NodeErrors map[string]any `json:"node_errors"`
}

// PromptResponse is the 200 body of POST /prompt.
type PromptResponse struct {
	PromptID   string      `json:"prompt_id"`
	Number     pyNumber    `json:"number"`
	NodeErrors rawOrObject `json:"node_errors"`
}

// ExecInfo is {"queue_remaining": n}.
type ExecInfo struct {
	QueueRemaining int `json:"queue_remaining"`
}

// PromptInfo is the body of GET /prompt.
type PromptInfo struct {
	ExecInfo ExecInfo `json:"exec_info"`
}

// StatusData is the data of a "status" WebSocket message.
type StatusData struct {
	Status PromptInfo `json:"status"`
	SID    string     `json:"sid,omitempty"`
}

// WSMessage is a JSON WebSocket frame.
type WSMessage struct {
	Type string `json:"type"`
	Data any    `json:"data"`
}

// NodeMeta is one entry of a history entry's "meta".
type NodeMeta struct {
	NodeID      string  `json:"node_id"`
	DisplayNode string  `json:"display_node"`
	ParentNode  *string `json:"parent_node"`
	RealNodeID  string  `json:"real_node_id"`
}

// HistoryStatus is a history entry's "status".
type HistoryStatus struct {
	StatusStr string       `json:"status_str"`
	Completed bool         `json:"completed"`
	Messages  []StatusPair `json:"messages"`
}

// StatusPair is one [event, data] element of HistoryStatus.Messages.
type StatusPair [2]any

// SystemStats is the body of GET /system_stats.
type SystemStats struct {
	System  SystemInfo   `json:"system"`
	Devices []DeviceInfo `json:"devices"`
}

// SystemInfo is SystemStats.System.
type SystemInfo struct {
	OS             string   `json:"os"`
	RAMTotal       uint64   `json:"ram_total"`
	RAMFree        uint64   `json:"ram_free"`
	ComfyUIVersion string   `json:"comfyui_version"`
	PythonVersion  string   `json:"python_version"`
	PytorchVersion string   `json:"pytorch_version"`
	EmbeddedPython bool     `json:"embedded_python"`
	Argv           []string `json:"argv"`
}

// DeviceInfo is one SystemStats device.
type DeviceInfo struct {
	Name           string `json:"name"`
	Type           string `json:"type"`
	Index          int    `json:"index"`
	VRAMTotal      uint64 `json:"vram_total"`
	VRAMFree       uint64 `json:"vram_free"`
	TorchVRAMTotal uint64 `json:"torch_vram_total"`
	TorchVRAMFree  uint64 `json:"torch_vram_free"`
}

// UploadResponse is the body of POST /upload/image and /upload/mask.
type UploadResponse struct {
	Name      string `json:"name"`
	Subfolder string `json:"subfolder"`
	Type      string `json:"type"`
}

// UsersInfo is the body of GET /users in single-user mode.
type UsersInfo struct {
	Storage  string `json:"storage"`
	Migrated bool   `json:"migrated"`
}

// FileInfo is a userdata listing entry with full_info.
type FileInfo struct {
	Path     string  `json:"path"`
	Size     int64   `json:"size"`
	Modified float64 `json:"modified"`
	Created  float64 `json:"created"`
}

// ModelFolder is one /experiment/models entry.
type ModelFolder struct {
	Name    string   `json:"name"`
	Folders []string `json:"folders"`
}

// ModelFile is one /experiment/models/{folder} entry.
type ModelFile struct {
	Name      string  `json:"name"`
	PathIndex int     `json:"pathIndex"`
	Modified  float64 `json:"modified"`
	Created   float64 `json:"created"`
	Size      int64   `json:"size"`
}

// LogEntry is one /internal/logs/raw entry.
type LogEntry struct {
	T string `json:"t"`
	M string `json:"m"`
}

// LogsRaw is the body of /internal/logs/raw and the data of "logs" messages.
type LogsRaw struct {
	Entries []LogEntry `json:"entries"`
	Size    TermSize   `json:"size"`
}

// TermSize is LogsRaw.Size.
type TermSize struct {
	Cols int `json:"cols"`
	Rows int `json:"rows"`
}

// JobsPage is the body of GET /api/jobs.
type JobsPage struct {
	Jobs       []any      `json:"jobs"`
	Pagination Pagination `json:"pagination"`
}

// Pagination is JobsPage.Pagination.
type Pagination struct {
	Offset  int  `json:"offset"`
	Limit   *int `json:"limit"`
	Total   int  `json:"total"`
	HasMore bool `json:"has_more"`
}

// apiError is the {"error": "..."} body of the jobs and users routes.
type apiError struct {
	Error string `json:"error"`
}

// Job is one /api/jobs entry (spec 2.7). Absent values are omitted, as
// upstream drops None-valued keys.
type Job struct {
	ID                 string                `json:"id"`
	Status             string                `json:"status"`
	Priority           pyNumber              `json:"priority"`
	CreateTime         *int64                `json:"create_time,omitempty"`
	ExecutionStartTime *int64                `json:"execution_start_time,omitempty"`
	ExecutionEndTime   *int64                `json:"execution_end_time,omitempty"`
	ExecutionError     *graph.ExecutionError `json:"execution_error,omitempty"`
	OutputsCount       int                   `json:"outputs_count"`
	PreviewOutput      map[string]any        `json:"preview_output,omitempty"`
	WorkflowID         *string               `json:"workflow_id,omitempty"`

	// Detail only (GET /api/jobs/{id} of a finished job).
	Outputs         json.RawMessage `json:"outputs,omitempty"`
	ExecutionStatus json.RawMessage `json:"execution_status,omitempty"`
	Workflow        *JobWorkflow    `json:"workflow,omitempty"`
}

// JobWorkflow is a job detail's "workflow".
type JobWorkflow struct {
	Prompt    json.RawMessage `json:"prompt"`
	ExtraData json.RawMessage `json:"extra_data"`
}

// UserdataEntry is one /v2/userdata entry.
type UserdataEntry struct {
	Name     string   `json:"name"`
	Path     string   `json:"path"`
	Type     string   `json:"type"`
	Size     *int64   `json:"size,omitempty"`
	Modified *float64 `json:"modified,omitempty"`
}

// PreviewMeta is the JSON header of a type-4 preview frame.
type PreviewMeta struct {
	NodeID        string  `json:"node_id"`
	PromptID      string  `json:"prompt_id"`
	DisplayNodeID string  `json:"display_node_id"`
	ParentNodeID  *string `json:"parent_node_id"`
	RealNodeID    string  `json:"real_node_id"`
	ImageType     string  `json:"image_type"`
}

// PromptStamp is the data of execution_start and execution_success.
type PromptStamp struct {
	PromptID  string `json:"prompt_id"`
	Timestamp int64  `json:"timestamp"`
}

// ExecutionCachedData is the data of execution_cached.
type ExecutionCachedData struct {
	Nodes     []string `json:"nodes"`
	PromptID  string   `json:"prompt_id"`
	Timestamp int64    `json:"timestamp"`
}

// ExecutingData is the data of a node-level executing message.
type ExecutingData struct {
	Node        string `json:"node"`
	DisplayNode string `json:"display_node"`
	PromptID    string `json:"prompt_id"`
}

// ExecutingDoneData is the data of the end-of-prompt executing message.
type ExecutingDoneData struct {
	Node     *string `json:"node"`
	PromptID string  `json:"prompt_id"`
}

// ProgressData is the data of progress.
type ProgressData struct {
	Value    int    `json:"value"`
	Max      int    `json:"max"`
	PromptID string `json:"prompt_id"`
	Node     string `json:"node"`
}

// ProgressStateData is the data of progress_state.
type ProgressStateData struct {
	PromptID string                        `json:"prompt_id"`
	Nodes    map[string]graph.NodeProgress `json:"nodes"`
}

// ExecutedData is the data of executed; Output is null for a cached
// output node without UI.
type ExecutedData struct {
	Node        string `json:"node"`
	DisplayNode string `json:"display_node"`
	Output      any    `json:"output"`
	PromptID    string `json:"prompt_id"`
}
