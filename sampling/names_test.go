package sampling_test

import (
	"testing"

	"comfyd/sampling"
	"comfyd/tensor"
)

func TestNameLists(t *testing.T) {
	if len(sampling.SamplerNames) != 44 || len(sampling.SchedulerNames) != 9 || len(sampling.InspireSchedulerNames) != 16 {
		t.Fatalf("lists: %d samplers, %d schedulers, %d inspire", len(sampling.SamplerNames), len(sampling.SchedulerNames), len(sampling.InspireSchedulerNames))
	}
	if !sampling.DiscardsPenultimate("uni_pc") || sampling.DiscardsPenultimate("euler") {
		t.Fatal("DiscardsPenultimate wrong")
	}
}

func TestLatentFormats(t *testing.T) {
	x := tensor.FromData([]float32{1, -2, 0.5, 3}, 1, 4, 1, 1)
	for _, f := range []sampling.LatentFormat{sampling.SD15, sampling.SDXL, sampling.SD3} {
		in := tensor.New(x.Shape...)
		f.ProcessIn(in, x)
		out := tensor.New(x.Shape...)
		f.ProcessOut(out, in)
		for i := range x.Data {
			if d := out.Data[i] - x.Data[i]; d > 1e-6 || d < -1e-6 {
				t.Errorf("%s round trip %v -> %v", f.Name(), x.Data[i], out.Data[i])
			}
		}
		if fac, _ := f.RGBFactors(); len(fac) != f.Channels() {
			t.Errorf("%s: %d factor rows for %d channels", f.Name(), len(fac), f.Channels())
		}
	}
	in := tensor.New(1)
	sampling.SD15.ProcessIn(in, tensor.FromData([]float32{2}, 1))
	if in.Data[0] != 2*float32(0.18215) {
		t.Errorf("SD15 process_in %v", in.Data[0])
	}
}
