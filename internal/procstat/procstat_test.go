package procstat

import (
	"os"
	"testing"
)

func TestParse(t *testing.T) {
	m, err := parse([]byte("Name:\tcomfyd\nVmPeak:\t  900 kB\nVmHWM:\t   30144 kB\nVmRSS:\t   29000 kB\nThreads:\t9\n"))
	if err != nil {
		t.Fatal(err)
	}
	if m.HWM != 30144<<10 || m.RSS != 29000<<10 {
		t.Errorf("got %+v", m)
	}
	for _, bad := range []string{"", "VmRSS:\t12 MB\nVmHWM:\t1 kB\n", "VmRSS:\tx kB\nVmHWM:\t1 kB\n", "VmRSS:\t1 kB\n"} {
		if _, err := parse([]byte(bad)); err == nil {
			t.Errorf("parse(%q) accepted", bad)
		}
	}
}

func TestReadSelf(t *testing.T) {
	m, err := Read(os.Getpid())
	if err != nil {
		t.Skip("no /proc:", err)
	}
	if m.RSS <= 0 || m.HWM < m.RSS {
		t.Errorf("implausible %+v", m)
	}
}
