// Package server is comfyd's ComfyUI-compatible HTTP + WebSocket API
// (../shared/spec/comfy-api.md sections 1-3 and 5): every route at /X and
// /api/X, /internal/* once, the /ws hub, a durable prompt queue and
// history backed by package store, and one worker that executes prompts
// through an Engine (package graph in production, a fake in tests).
//
// Files, one concept each:
//
//	server.go       Config, New, Handler, Start, Shutdown
//	api.go          wire types (everything a client sees)
//	routes.go       router, middleware order; api_routes.go the route table
//	middleware.go   origin check / CORS, API key, body limits, 503 on stop
//	handlers_*.go   small handlers grouped by area; view.go, upload.go files
//	queue.go        in-memory queue in run order (the store holds the copy)
//	worker.go       the worker loop, interrupt, /free, history records
//	hub.go, ws.go   sockets: per-socket FIFO + writer, addressing, previews
//	events.go       graph.Events for one run: addressing + history messages
//	graph_engine.go the Engine over package graph
//
// Durability: POST /prompt commits the item to SQLite before answering;
// the worker marks it running when it starts and, in one transaction,
// removes it and writes its history entry when it ends. After a crash the
// running item runs again first, then the pending ones in order (a prompt
// that was running at three crashes is recorded as failed instead).
//
// Ordering: every message goes through the hub under one lock into
// per-socket FIFOs, so each socket sees emission order; a prompt's
// execution waits until its POST answer is written; the history entry is
// written before the final status and executing {node: null} messages.
// A socket that falls behind loses previews first and is closed when even
// its JSON backlog overflows, so no client can stall the executor.
package server
