package comfyclient

import "testing"

func TestRequireLoopback(t *testing.T) {
	for _, c := range []struct {
		url string
		ok  bool
	}{
		{"http://127.0.0.1:8188", true},
		{"http://127.1.2.3:1", true},
		{"http://[::1]:8188", true},
		{"http://localhost:8188", true},
		{"ws://127.0.0.1:8188/ws", true},
		{"http://0.0.0.0:8188", false},
		{"http://10.0.0.5:8188", false},
		{"http://192.168.1.2", false},
		{"http://example.com", false},
		{"http://localhost.example.com", false},
		{"http://127.0.0.1.nip.io", false},
		{"ftp://127.0.0.1", false},
		{"127.0.0.1:8188", false},
		{"http://[::ffff:10.0.0.1]:1", false},
		{"", false},
	} {
		if err := RequireLoopback(c.url); (err == nil) != c.ok {
			t.Errorf("RequireLoopback(%q) = %v, want ok=%v", c.url, err, c.ok)
		}
	}
}
