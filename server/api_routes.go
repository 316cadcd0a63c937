package server

import "github.com/go-chi/chi/v5"

// apiRoutes registers the routes served at both /X and /api/X (spec 2.1).
func (s *Server) apiRoutes(r chi.Router) {
	r.Get("/prompt", s.handleGetPrompt)
	r.Post("/prompt", s.handlePostPrompt)
	r.Get("/queue", s.handleGetQueue)
	r.Post("/queue", s.handlePostQueue)
	r.Post("/interrupt", s.handleInterrupt)
	r.Post("/free", s.handleFree)

	r.Get("/history", s.handleGetHistory)
	r.Get("/history/{prompt_id}", s.handleGetHistoryItem)
	r.Post("/history", s.handlePostHistory)
	r.Get("/jobs", s.handleJobs)
	r.Get("/jobs/{job_id}", s.handleJob)
	r.Get("/jobs/", s.handleJob)
	r.Post("/jobs/{job_id}/cancel", s.handleJobCancel)
	r.Post("/jobs/cancel", s.handleJobsCancel)

	r.Get("/object_info", s.handleObjectInfo)
	r.Get("/object_info/{node_class}", s.handleObjectInfoClass)
	r.Get("/embeddings", s.handleEmbeddings)
	r.Get("/extensions", s.handleExtensions)
	r.Get("/models", s.handleModelKinds)
	r.Get("/models/{folder}", s.handleModels)
	r.Get("/experiment/models", s.handleExperimentModelKinds)
	r.Get("/experiment/models/{folder}", s.handleExperimentModels)
	r.Get("/experiment/models/preview/{folder}/{path_index}/*", s.handleModelPreview)
	r.Get("/view_metadata/{folder_name}", s.handleViewMetadata)

	r.Get("/view", s.handleView)
	r.Post("/upload/image", s.handleUploadImage)
	r.Post("/upload/mask", s.handleUploadMask)

	r.Get("/users", s.handleGetUsers)
	r.Post("/users", s.handlePostUsers)
	r.Get("/settings", s.handleGetSettings)
	r.Post("/settings", s.handlePostSettings)
	r.Get("/settings/{id}", s.handleGetSetting)
	r.Post("/settings/{id}", s.handlePostSetting)
	r.Post("/settings/", s.handlePostSetting)
	r.Get("/userdata", s.handleListUserdata)
	r.Get("/v2/userdata", s.handleListUserdataV2)
	r.HandleFunc("/userdata/*", s.handleUserdataFile)

	r.Get("/workflow_templates", s.handleEmptyObject)
	r.Get("/i18n", s.handleEmptyObject)
	r.Get("/global_subgraphs", s.handleEmptyObject)
	r.Get("/global_subgraphs/{id}", s.handleNull)
	r.Get("/node_replacements", s.handleEmptyObject)
}

// internalRoutes registers /internal/* (no /api twin).
func (s *Server) internalRoutes(r chi.Router) {
	r.Get("/logs", s.handleLogs)
	r.Get("/logs/raw", s.handleLogsRaw)
	r.Patch("/logs/subscribe", s.handleLogsSubscribe)
	r.Get("/folder_paths", s.handleFolderPaths)
	r.Get("/files/{directory_type}", s.handleInternalFiles)
}
