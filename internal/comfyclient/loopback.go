package comfyclient

import (
	"fmt"
	"net"
	"net/url"
)

// RequireLoopback returns an error unless rawURL is an http(s) or ws(s) URL
// whose host is a loopback IP literal or "localhost". Host names are not
// resolved: a name that happens to resolve to 127.0.0.1 today may not
// tomorrow, and a load tool must never hammer another machine.
func RequireLoopback(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("server URL %q: %w", rawURL, err)
	}
	switch u.Scheme {
	case "http", "https", "ws", "wss":
	default:
		return fmt.Errorf("server URL %q: scheme must be http or https", rawURL)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("server URL %q: only loopback addresses (127.0.0.0/8, ::1, localhost) are allowed", rawURL)
	}
	return nil
}
