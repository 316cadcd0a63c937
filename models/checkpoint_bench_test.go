package models

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"comfyd/models/safetensors"
	"comfyd/tensor"
)

// writeFakeSD15 streams a full-size SD1.5 single-file checkpoint (fp16,
// random weights, the manifest's keys and shapes plus position_ids) to
// path without holding it in memory.
func writeFakeSD15(tb testing.TB, path string) {
	m, _ := loadManifest(tb)
	shapes := map[string][]int{}
	for _, part := range []map[string][]int{m.UNet.Keys, m.VAE.Keys, m.CLIP.Keys} {
		for k, v := range part {
			shapes[k] = v
		}
	}
	names := make([]string, 0, len(shapes))
	for k := range shapes {
		names = append(names, k)
	}
	sort.Strings(names)
	const posIDs = "cond_stage_model.transformer.text_model.embeddings.position_ids"
	hdr := map[string]any{"__metadata__": map[string]string{"format": "pt"}}
	var off int64
	for _, k := range names {
		n := int64(tensor.Numel(shapes[k]) * 2)
		hdr[k] = map[string]any{"dtype": "F16", "shape": shapes[k], "data_offsets": []int64{off, off + n}}
		off += n
	}
	hdr[posIDs] = map[string]any{"dtype": "I64", "shape": []int{1, 77}, "data_offsets": []int64{off, off + 77*8}}
	js, _ := json.Marshal(hdr)
	for len(js)%8 != 0 {
		js = append(js, ' ')
	}
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	binary.Write(w, binary.LittleEndian, uint64(len(js)))
	w.Write(js)
	state := uint64(88172645463325252)
	buf := make([]byte, 0, 1<<16)
	for _, k := range names {
		s := shapes[k]
		fanIn := 1
		for _, d := range s[1:] {
			fanIn *= d
		}
		scale := float32(math.Sqrt(3 / float64(fanIn)))
		norm := len(s) == 1 && strings.HasSuffix(k, ".weight")
		for range tensor.Numel(s) {
			state ^= state << 13
			state ^= state >> 7
			state ^= state << 17
			u := float32(state>>40)/float32(1<<24)*2 - 1
			v := scale * u
			if norm {
				v = 1 + 0.1*u
			} else if len(s) == 1 {
				v = 0.1 * u
			}
			buf = binary.LittleEndian.AppendUint16(buf, safetensors.Float32ToHalf(v))
			if len(buf) == cap(buf) {
				w.Write(buf)
				buf = buf[:0]
			}
		}
	}
	w.Write(buf)
	for i := range 77 {
		binary.Write(w, binary.LittleEndian, int64(i))
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
}

func peakRSSMB() float64 {
	data, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			kb, _ := strconv.ParseFloat(strings.Fields(line)[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// BenchmarkLoadFullSD15 loads a full-size fp16 SD1.5 checkpoint (real key
// layout, random weights) through LoadCheckpointFile and reports the load
// time and the process's peak RSS.
func BenchmarkLoadFullSD15(b *testing.B) {
	path := filepath.Join(b.TempDir(), "fake-sd15-fp16.safetensors")
	writeFakeSD15(b, path)
	st, _ := os.Stat(path)
	runtime.GC()
	var ck *Checkpoint
	start := time.Now()
	for b.Loop() {
		var err error
		if ck, err = LoadCheckpointFile(context.Background(), path); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(time.Since(start).Seconds()/float64(b.N), "s/load")
	b.ReportMetric(float64(st.Size())/(1<<20), "file-MB")
	b.ReportMetric(peakRSSMB(), "peak-RSS-MB")
	if ck.Model.Sampling == nil || ck.VAE.LatentChannels() != 4 {
		b.Fatal("incomplete checkpoint")
	}
}
