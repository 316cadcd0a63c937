package server

import "github.com/go-chi/chi/v5"

// apiRoutes registers the routes served at both /X and /api/X.
func (s *Server) apiRoutes(r chi.Router) {}

// internalRoutes registers /internal/* (no /api twin).
func (s *Server) internalRoutes(r chi.Router) {}
