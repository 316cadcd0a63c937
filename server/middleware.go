package server

import (
	"context"
	"crypto/subtle"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// cacheControl gives .js and .css responses Cache-Control: no-cache
// unless a handler set one.
func cacheControl(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".js") || strings.HasSuffix(r.URL.Path, ".css") {
			w.Header().Set("Cache-Control", "no-cache")
		}
		next.ServeHTTP(w, r)
	})
}

// cors sends ComfyUI's CORS headers on every response (--enable-cors-header).
func cors(origin string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Methods", "POST, GET, DELETE, PUT, OPTIONS, PATCH")
			h.Set("Access-Control-Allow-Headers", "Content-Type, Authorization")
			h.Set("Access-Control-Allow-Credentials", "true")
			if r.Method == http.MethodOptions {
				writeEmpty(w, http.StatusOK)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// originOnly is ComfyUI's guard when CORS is off: a request carrying both
// Host and Origin whose Host is a loopback address must come from the same
// host name (ports compared only when both carry one), else 403 with an
// empty body. It stops a web page on another site from driving a local
// server through the user's browser.
func originOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			writeEmpty(w, http.StatusOK)
			return
		}
		origin := r.Header.Get("Origin")
		if r.Host != "" && origin != "" && !sameOriginLoopback(r.Context(), r.Host, origin) {
			writeEmpty(w, http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// sameOriginLoopback reports whether a request is acceptable: true unless
// host is loopback and origin names another host.
func sameOriginLoopback(ctx context.Context, host, origin string) bool {
	hostName, hostPort := splitHostPort(strings.ToLower(host))
	if !isLoopback(ctx, hostName) {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false // "null" or garbage origins are foreign
	}
	originName, originPort := splitHostPort(strings.ToLower(u.Host))
	if originName != hostName {
		return false
	}
	return hostPort == "" || originPort == "" || hostPort == originPort
}

func splitHostPort(hp string) (string, string) {
	if h, p, err := net.SplitHostPort(hp); err == nil {
		return strings.Trim(h, "[]"), p
	}
	return strings.Trim(hp, "[]"), ""
}

// isLoopback resolves a host name (briefly) and reports whether it is a
// loopback address, as ComfyUI's is_loopback.
func isLoopback(ctx context.Context, name string) bool {
	if ip := net.ParseIP(name); ip != nil {
		return ip.IsLoopback()
	}
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return true
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, name)
	if err != nil || len(addrs) == 0 {
		return false
	}
	for _, a := range addrs {
		if !a.IP.IsLoopback() {
			return false
		}
	}
	return true
}

// bearerAuth requires the API key on every request when one is set:
// Authorization: Bearer <key>, or ?token=<key> (browsers cannot set
// headers on WebSocket upgrades).
func bearerAuth(key string) func(http.Handler) http.Handler {
	want := []byte(key)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got := r.URL.Query().Get("token")
			if a := r.Header.Get("Authorization"); strings.HasPrefix(a, "Bearer ") {
				got = strings.TrimPrefix(a, "Bearer ")
			}
			if r.Method == http.MethodOptions || subtle.ConstantTimeCompare([]byte(got), want) == 1 {
				next.ServeHTTP(w, r)
				return
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="comfyd"`)
			writeJSON(w, http.StatusUnauthorized, apiError{Error: "unauthorized"})
		})
	}
}

// bodyLimit caps request bodies: uploads at the upload size, the rest at
// the body size. A read past the limit fails and the handler answers 413.
func bodyLimit(body, upload int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			limit := body
			if strings.Contains(r.URL.Path, "/upload/") {
				limit = upload
			}
			if r.ContentLength > limit {
				writeText(w, http.StatusRequestEntityTooLarge, "request body too large")
				return
			}
			if r.Body != nil {
				r.Body = http.MaxBytesReader(w, r.Body, limit)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// recoverPanics turns a handler panic into a 500 instead of a dropped
// connection, and logs it.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("handler panic", "path", r.URL.Path, "panic", v)
				writeText(w, http.StatusInternalServerError, "internal server error")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// refuseWhenStopping answers 503 once Shutdown has begun, so no request
// reaches a closing store.
func (s *Server) refuseWhenStopping(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.stopping.Load() {
			w.Header().Set("Connection", "close")
			writeText(w, http.StatusServiceUnavailable, "server shutting down")
			return
		}
		next.ServeHTTP(w, r)
	})
}
