package server

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// routes builds the router: middleware for the cross-cutting rules, then
// every API route at /X and /api/X (spec 1.1), /internal/* once, and the
// static frontend last.
func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(s.recoverPanics, s.refuseWhenStopping, cacheControl)
	if s.cfg.EnableCORSHeader != "" {
		r.Use(cors(s.cfg.EnableCORSHeader))
	} else {
		r.Use(originOnly)
	}
	r.Use(bodyLimit(s.cfg.MaxBodySize, s.cfg.MaxUploadSize))
	r.Use(middleware.GetHead) // aiohttp answers HEAD on every GET route

	// The API key guards the API; the static pages hold no data and must
	// load in a browser, which cannot attach the key to module imports.
	guard := func(routes func(chi.Router)) func(chi.Router) {
		return func(r chi.Router) {
			if s.cfg.APIKey != "" {
				r.Use(bearerAuth(s.cfg.APIKey))
			}
			routes(r)
		}
	}
	api := func(r chi.Router) {
		r.Get("/ws", s.handleWS)
		r.Get("/system_stats", s.handleSystemStats)
		r.Get("/features", s.handleFeatures)
		s.apiRoutes(r)
	}
	r.Group(guard(api))
	r.Route("/api", guard(api))
	r.Route("/internal", guard(s.internalRoutes))
	r.Get("/*", s.handleStatic)
	r.Get("/", s.handleIndex)
	return r
}

func (s *Server) handleFeatures(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.featureFlags())
}
