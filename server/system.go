package server

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// memInfo reads total and available memory from /proc/meminfo (Linux).
// Elsewhere it reports zeros rather than guessing.
func memInfo() (total, free uint64) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		kb, err := strconv.ParseUint(fields[1], 10, 64)
		if err != nil {
			continue
		}
		switch fields[0] {
		case "MemTotal:":
			total = kb * 1024
		case "MemAvailable:":
			free = kb * 1024
		}
	}
	return total, free
}

// osRelease returns the kernel release when known ("6.8.0-45-generic").
func osRelease() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// systemStats builds /system_stats. comfyd computes on the CPU, so the one
// device is the CPU and its "VRAM" is system RAM, as ComfyUI reports in
// --cpu mode. python_version/pytorch_version name the Go runtime instead.
func (s *Server) systemStats() SystemStats {
	total, free := memInfo()
	osName := "posix"
	if runtime.GOOS == "windows" {
		osName = "nt"
	}
	goVer := fmt.Sprintf("%s (%s/%s", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if rel := osRelease(); rel != "" {
		goVer += ", kernel " + rel
	}
	goVer += ")"
	return SystemStats{
		System: SystemInfo{
			OS:             osName,
			RAMTotal:       total,
			RAMFree:        free,
			ComfyUIVersion: s.cfg.Version,
			PythonVersion:  goVer,
			PytorchVersion: "none (comfyd, Go " + runtime.Version() + ")",
			EmbeddedPython: false,
			Argv:           append([]string{}, os.Args...),
		},
		Devices: []DeviceInfo{{
			Name:           fmt.Sprintf("cpu (%d threads)", runtime.NumCPU()),
			Type:           "cpu",
			Index:          0,
			VRAMTotal:      total,
			VRAMFree:       free,
			TorchVRAMTotal: total,
			TorchVRAMFree:  free,
		}},
	}
}

func (s *Server) handleSystemStats(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.systemStats())
}
