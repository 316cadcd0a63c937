package core

import (
	"fmt"
	"slices"

	"comfyd/nodes"
	"comfyd/tensor"
)

func latentInput(in nodes.Inputs, name string) (*nodes.Latent, error) {
	l, err := nodes.Value[*nodes.Latent](in, name)
	if err != nil {
		return nil, err
	}
	if l == nil || l.Samples == nil || len(l.Samples.Shape) != 4 {
		return nil, fmt.Errorf("input %q: expected a latent with [B,C,H,W] samples", name)
	}
	return l, nil
}

// copyLatent is samples.copy(): a new dict sharing the tensors.
func copyLatent(l *nodes.Latent) *nodes.Latent {
	c := *l
	c.BatchIndex = slices.Clone(l.BatchIndex)
	return &c
}

func emptyLatentImage() *nodes.Class {
	return &nodes.Class{
		Name:         "EmptyLatentImage",
		DisplayName:  "Empty Latent Image",
		Description:  "Create a new batch of empty latent images to be denoised via sampling.",
		Category:     "latent",
		PythonModule: moduleNodes,
		Required: []nodes.Input{
			widget("width", "INT", tip(resolutionOpts(512, 16, 8), "The width of the latent images in pixels.")),
			widget("height", "INT", tip(resolutionOpts(512, 16, 8), "The height of the latent images in pixels.")),
			widget("batch_size", "INT", nodes.Options{"default": 1, "min": 1, "max": 4096, "tooltip": "The number of latent images in the batch."}),
		},
		Outputs: []nodes.Output{outTip("LATENT", "The empty latent image batch.")},
		Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
			w, err := in.Int("width")
			if err != nil {
				return nodes.Result{}, err
			}
			h, err := in.Int("height")
			if err != nil {
				return nodes.Result{}, err
			}
			b, err := in.Int("batch_size")
			if err != nil {
				return nodes.Result{}, err
			}
			return singleResult(EmptyLatent(w, h, b))
		},
	}
}

// EmptyLatent is EmptyLatentImage: zeros [batch, 4, height/8, width/8],
// refusing sizes beyond ComfyUI's bounds or comfyd's memory limit.
func EmptyLatent(width, height, batch int64) (*nodes.Latent, error) {
	if width < 16 || width > nodes.MaxResolution || height < 16 || height > nodes.MaxResolution {
		return nil, fmt.Errorf("EmptyLatentImage: %dx%d is outside 16..%d pixels", width, height, nodes.MaxResolution)
	}
	if batch < 1 || batch > 4096 {
		return nil, fmt.Errorf("EmptyLatentImage: batch_size %d is outside 1..4096", batch)
	}
	shape := []int{int(batch), 4, int(height / 8), int(width / 8)}
	if err := nodes.CheckTensorSize("latent", shape...); err != nil {
		return nil, fmt.Errorf("EmptyLatentImage: %w", err)
	}
	return &nodes.Latent{Samples: tensor.New(shape...)}, nil
}

func latentFromBatch() *nodes.Class {
	return &nodes.Class{
		Name:         "LatentFromBatch",
		DisplayName:  "Latent From Batch",
		Category:     "latent/batch",
		PythonModule: moduleNodes,
		Required: []nodes.Input{
			link("samples", "LATENT", ""),
			widget("batch_index", "INT", nodes.Options{"default": 0, "min": 0, "max": 63}),
			widget("length", "INT", nodes.Options{"default": 1, "min": 1, "max": 64}),
		},
		Outputs: []nodes.Output{out("LATENT")},
		Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
			l, err := latentInput(in, "samples")
			if err != nil {
				return nodes.Result{}, err
			}
			idx, err := in.Int("batch_index")
			if err != nil {
				return nodes.Result{}, err
			}
			n, err := in.Int("length")
			if err != nil {
				return nodes.Result{}, err
			}
			if idx < 0 || n < 1 {
				return nodes.Result{}, fmt.Errorf("LatentFromBatch: batch_index %d / length %d out of range", idx, n)
			}
			return single(LatentFromBatch(l, int(min(idx, 1<<20)), int(min(n, 1<<20)))), nil
		},
	}
}

// LatentFromBatch takes length entries from batch_index (both clamped to
// the batch), slicing the noise mask (repeated to the batch first when it
// is shorter, kept whole when it has one entry) and recording batch_index.
func LatentFromBatch(l *nodes.Latent, index, length int) *nodes.Latent {
	s := copyLatent(l)
	b := l.Samples.Shape[0]
	index = min(b-1, index)
	length = min(b-index, length)
	s.Samples = sliceRows(l.Samples, index, index+length)
	if m := l.NoiseMask; m != nil && len(m.Shape) > 0 {
		if m.Shape[0] == 1 {
			s.NoiseMask = m.Clone()
		} else {
			if m.Shape[0] < b {
				m = repeatRows(m, (b+m.Shape[0]-1)/m.Shape[0])
				m = sliceRows(m, 0, b)
			}
			s.NoiseMask = sliceRows(m, index, min(index+length, m.Shape[0]))
		}
	}
	if l.BatchIndex == nil {
		s.BatchIndex = make([]int, length)
		for i := range s.BatchIndex {
			s.BatchIndex[i] = index + i
		}
	} else {
		lo, hi := min(index, len(l.BatchIndex)), min(index+length, len(l.BatchIndex))
		s.BatchIndex = slices.Clone(l.BatchIndex[lo:hi])
	}
	return s
}

func repeatLatentBatch() *nodes.Class {
	return &nodes.Class{
		Name:         "RepeatLatentBatch",
		DisplayName:  "Repeat Latent Batch",
		Category:     "latent/batch",
		PythonModule: moduleNodes,
		Required: []nodes.Input{
			link("samples", "LATENT", ""),
			widget("amount", "INT", nodes.Options{"default": 1, "min": 1, "max": 64}),
		},
		Outputs: []nodes.Output{out("LATENT")},
		Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
			l, err := latentInput(in, "samples")
			if err != nil {
				return nodes.Result{}, err
			}
			n, err := in.Int("amount")
			if err != nil {
				return nodes.Result{}, err
			}
			if n < 1 || n > 64 {
				return nodes.Result{}, fmt.Errorf("RepeatLatentBatch: amount %d is outside 1..64", n)
			}
			return singleResult(RepeatLatent(l, int(n)))
		},
	}
}

// RepeatLatent is RepeatLatentBatch: the samples repeated amount times
// along the batch, a multi-entry noise mask likewise, and batch_index
// extended by multiples of its span.
func RepeatLatent(l *nodes.Latent, amount int) (*nodes.Latent, error) {
	shape := slices.Clone(l.Samples.Shape)
	shape[0] *= amount
	if err := nodes.CheckTensorSize("latent", shape...); err != nil {
		return nil, fmt.Errorf("RepeatLatentBatch: %w", err)
	}
	s := copyLatent(l)
	s.Samples = repeatRows(l.Samples, amount)
	if m := l.NoiseMask; m != nil && len(m.Shape) > 0 && m.Shape[0] > 1 {
		// The reference computes a mask repeated to the batch and then
		// repeats the original mask instead; the latter is what it returns.
		s.NoiseMask = repeatRows(m, amount)
	}
	if len(l.BatchIndex) > 0 {
		offset := slices.Max(l.BatchIndex) - slices.Min(l.BatchIndex) + 1
		bi := slices.Clone(l.BatchIndex)
		for i := 1; i < amount; i++ {
			for _, x := range l.BatchIndex {
				bi = append(bi, x+i*offset)
			}
		}
		s.BatchIndex = bi
	}
	return s, nil
}

func setLatentNoiseMask() *nodes.Class {
	return &nodes.Class{
		Name:         "SetLatentNoiseMask",
		DisplayName:  "Set Latent Noise Mask",
		Category:     "latent/inpaint",
		PythonModule: moduleNodes,
		Required: []nodes.Input{
			link("samples", "LATENT", ""),
			link("mask", "MASK", ""),
		},
		Outputs: []nodes.Output{out("LATENT")},
		Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
			l, err := latentInput(in, "samples")
			if err != nil {
				return nodes.Result{}, err
			}
			m, err := nodes.Value[*tensor.Tensor](in, "mask")
			if err != nil {
				return nodes.Result{}, err
			}
			return singleResult(SetNoiseMask(l, m))
		},
	}
}

// SetNoiseMask attaches mask reshaped to [-1,1,H,W].
func SetNoiseMask(l *nodes.Latent, mask *tensor.Tensor) (*nodes.Latent, error) {
	if mask == nil || len(mask.Shape) < 2 {
		return nil, fmt.Errorf("SetLatentNoiseMask: expected a MASK [B,H,W] or [H,W], got %v", mask)
	}
	h, w := mask.Dim(-2), mask.Dim(-1)
	if h == 0 || w == 0 {
		return nil, fmt.Errorf("SetLatentNoiseMask: empty mask %v", mask)
	}
	s := copyLatent(l)
	s.NoiseMask = tensor.FromData(mask.Data, len(mask.Data)/(h*w), 1, h, w)
	return s, nil
}

func latentComposite() *nodes.Class {
	return &nodes.Class{
		Name:         "LatentComposite",
		DisplayName:  "Latent Composite",
		Category:     "latent",
		PythonModule: moduleNodes,
		Required: []nodes.Input{
			link("samples_to", "LATENT", ""),
			link("samples_from", "LATENT", ""),
			widget("x", "INT", resolutionOpts(0, 0, 8)),
			widget("y", "INT", resolutionOpts(0, 0, 8)),
			widget("feather", "INT", resolutionOpts(0, 0, 8)),
		},
		Outputs: []nodes.Output{out("LATENT")},
		Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
			to, err := latentInput(in, "samples_to")
			if err != nil {
				return nodes.Result{}, err
			}
			from, err := latentInput(in, "samples_from")
			if err != nil {
				return nodes.Result{}, err
			}
			var v [3]int64
			for i, name := range []string{"x", "y", "feather"} {
				if v[i], err = in.Int(name); err != nil {
					return nodes.Result{}, err
				}
				if err := nodes.CheckResolution(name, v[i]); err != nil {
					return nodes.Result{}, err
				}
			}
			return singleResult(CompositeLatent(to, from, int(v[0]), int(v[1]), int(v[2])))
		},
	}
}

// CompositeLatent is LatentComposite: samples_from pasted into samples_to
// at (x/8, y/8), cut to fit, with a linear feather of feather/8 latent
// pixels on the edges that are inside the destination.
func CompositeLatent(to, from *nodes.Latent, x, y, feather int) (*nodes.Latent, error) {
	x, y, feather = x/8, y/8, feather/8
	dst, src := to.Samples, from.Samples
	b, c, th, tw := dst.Shape[0], dst.Shape[1], dst.Shape[2], dst.Shape[3]
	fb, fc, fh, fw := src.Shape[0], src.Shape[1], src.Shape[2], src.Shape[3]
	if fc != c {
		return nil, fmt.Errorf("LatentComposite: channel counts differ (%d vs %d)", c, fc)
	}
	if fb != b && fb != 1 {
		return nil, fmt.Errorf("LatentComposite: batch of %d cannot be pasted into a batch of %d", fb, b)
	}
	out := copyLatent(to)
	s := dst.Clone()
	out.Samples = s
	h, w := min(fh, th-y), min(fw, tw-x)
	if h <= 0 || w <= 0 {
		return out, nil
	}
	// The feather mask has the cut source's shape; every channel and batch
	// entry shares it, so one plane is enough.
	mask := make([]float32, h*w)
	for i := range mask {
		mask[i] = 1
	}
	for t := 0; t < feather; t++ {
		f := float32((1.0 / float64(feather)) * float64(t+1))
		if y != 0 && t < h {
			scaleRow(mask, w, t, f)
		}
		if r, ok := pyEdgeIndex(h, t); y+h < th && ok {
			scaleRow(mask, w, r, f)
		}
		if x != 0 && t < w {
			scaleCol(mask, w, h, t, f)
		}
		if c, ok := pyEdgeIndex(w, t); x+w < tw && ok {
			scaleCol(mask, w, h, c, f)
		}
	}
	for bi := 0; bi < b; bi++ {
		for ch := 0; ch < c; ch++ {
			sp := src.Data[((bi%fb)*c+ch)*fh*fw:]
			dp := s.Data[(bi*c+ch)*th*tw:]
			for r := 0; r < h; r++ {
				for col := 0; col < w; col++ {
					v := sp[r*fw+col]
					d := &dp[(y+r)*tw+x+col]
					if feather == 0 {
						*d = v
					} else {
						m := mask[r*w+col]
						*d = float32(v*m) + float32(*d*(1-m))
					}
				}
			}
		}
	}
	return out, nil
}

// pyEdgeIndex resolves the reference's slice [n-1-t : n-t] with Python's
// negative-index rules: the row n-1-t while it exists, nothing at t == n,
// and wrapped rows from the start for feathers wider than the paste.
func pyEdgeIndex(n, t int) (int, bool) {
	a := n - 1 - t
	switch {
	case a >= 0:
		return a, true
	case a == -1:
		return 0, false
	case a+n >= 0:
		return a + n, true
	}
	return 0, false
}

func scaleRow(mask []float32, w, r int, f float32) {
	for c := 0; c < w; c++ {
		mask[r*w+c] *= f
	}
}

func scaleCol(mask []float32, w, h, c int, f float32) {
	for r := 0; r < h; r++ {
		mask[r*w+c] *= f
	}
}

func latentBlend() *nodes.Class {
	return &nodes.Class{
		Name:         "LatentBlend",
		DisplayName:  "Latent Blend",
		Category:     "_for_testing",
		PythonModule: moduleNodes,
		Required: []nodes.Input{
			link("samples1", "LATENT", ""),
			link("samples2", "LATENT", ""),
			// min/max are the integers 0 and 1 in ComfyUI's schema.
			widget("blend_factor", "FLOAT", nodes.Options{"default": 0.5, "min": 0, "max": 1, "step": 0.01}),
		},
		Outputs: []nodes.Output{out("LATENT")},
		Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
			a, err := latentInput(in, "samples1")
			if err != nil {
				return nodes.Result{}, err
			}
			b, err := latentInput(in, "samples2")
			if err != nil {
				return nodes.Result{}, err
			}
			f, err := in.Float("blend_factor")
			if err != nil {
				return nodes.Result{}, err
			}
			return singleResult(BlendLatents(a, b, f))
		},
	}
}

// BlendLatents is LatentBlend in "normal" mode: s1*f + s2*(1-f), with s2
// resized (bicubic, centre crop) to s1's size when the shapes differ.
func BlendLatents(a, b *nodes.Latent, f float64) (*nodes.Latent, error) {
	s1, s2 := a.Samples, b.Samples
	if !tensor.SameShape(s1, s2) {
		var err error
		s2, err = nodes.CommonUpscale(s2, s1.Shape[3], s1.Shape[2], "bicubic", "center")
		if err != nil {
			return nil, fmt.Errorf("LatentBlend: %w", err)
		}
		if !tensor.SameShape(s1, s2) {
			return nil, fmt.Errorf("LatentBlend: cannot blend %v with %v", a.Samples, b.Samples)
		}
	}
	fa, fb := float32(f), float32(1-f)
	res := tensor.New(s1.Shape...)
	for i := range res.Data {
		res.Data[i] = float32(s1.Data[i]*fa) + float32(s2.Data[i]*fb)
	}
	return withSamples(a, res), nil
}

// sliceRows returns rows [lo,hi) of the first dimension as a new tensor.
func sliceRows(t *tensor.Tensor, lo, hi int) *tensor.Tensor {
	per := tensor.Numel(t.Shape[1:])
	shape := slices.Clone(t.Shape)
	shape[0] = hi - lo
	return tensor.FromData(slices.Clone(t.Data[lo*per:hi*per]), shape...)
}

// repeatRows is tensor.repeat(n, 1, ...) along the first dimension.
func repeatRows(t *tensor.Tensor, n int) *tensor.Tensor {
	shape := slices.Clone(t.Shape)
	shape[0] *= n
	data := make([]float32, 0, len(t.Data)*n)
	for i := 0; i < n; i++ {
		data = append(data, t.Data...)
	}
	return tensor.FromData(data, shape...)
}
