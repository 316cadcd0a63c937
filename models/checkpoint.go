package models

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"comfyd/models/safetensors"
	"comfyd/models/sd1"
	"comfyd/models/tokenizer"
	"comfyd/sampling"
	"comfyd/tensor"
)

// Key prefixes of a single-file SD1 checkpoint.
const (
	vaePrefix  = "first_stage_model."
	clipPrefix = "cond_stage_model.transformer.text_model."
)

// CheckpointOptions set what a checkpoint's keys cannot tell.
type CheckpointOptions struct {
	// UNetHeads is the UNet's attention head count (0: SD1.5's 8).
	UNetHeads int
	// CLIPHeads is the text encoder's head count (0: 64-wide heads, as
	// CLIP-L's 12).
	CLIPHeads int
}

var (
	embedMu   sync.RWMutex
	embedDirs []string
)

// SetEmbeddingDirs sets the folders searched for embedding:name in
// prompts (ComfyUI's models/embeddings). With none set, "embedding:" is
// plain text, as in ComfyUI without an embedding directory.
func SetEmbeddingDirs(dirs ...string) {
	embedMu.Lock()
	defer embedMu.Unlock()
	embedDirs = append([]string(nil), dirs...)
}

// SetTokenizerDir sets the folder holding CLIP's vocab.json and merges.txt
// (ComfyUI's comfy/sd1_tokenizer or a diffusers tokenizer/ folder); it
// overrides $COMFYD_TOKENIZER_DIR.
func SetTokenizerDir(dir string) { tokenizer.SetDir(dir) }

// LoadCheckpointFile loads a single-file .safetensors checkpoint. SD1.x
// checkpoints give the full model; any other family is reported by name.
func LoadCheckpointFile(ctx context.Context, path string) (*Checkpoint, error) {
	return LoadCheckpointFileWith(ctx, path, CheckpointOptions{})
}

// LoadCheckpointFileWith is LoadCheckpointFile with explicit options.
func LoadCheckpointFileWith(ctx context.Context, path string, opts CheckpointOptions) (*Checkpoint, error) {
	if ext := strings.ToLower(filepath.Ext(path)); ext != ".safetensors" && ext != ".sft" {
		return nil, fmt.Errorf("%s: only .safetensors checkpoints can be loaded (pickled %s files are not supported)", filepath.Base(path), ext)
	}
	f, err := safetensors.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	shapes := f.Shapes()
	family := DetectFamily(shapes)
	if family != FamilySD1 {
		if family == FamilyUnknown {
			return nil, fmt.Errorf("%s: not a recognised diffusion checkpoint (no known model keys)", filepath.Base(path))
		}
		return nil, fmt.Errorf("%s: %s checkpoints are not supported yet (only SD1.x)", filepath.Base(path), family)
	}
	src := sd1.FileSource{File: f}
	ucfg, err := DetectUNetConfig(shapes, DiffusionPrefix(shapes), opts.UNetHeads)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	vcfg, err := sd1.VAEConfigFromShapes(src, vaePrefix)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	ccfg, err := sd1.CLIPConfigFromShapes(src, clipPrefix, opts.CLIPHeads)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	prog := newLoadProgress(filepath.Base(path), family, f, DiffusionPrefix(shapes), vaePrefix, clipPrefix)
	unet, err := sd1.LoadUNet(src, DiffusionPrefix(shapes), ucfg, prog.add)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	vae, err := sd1.LoadVAE(src, vaePrefix, vcfg, prog.add)
	if err != nil {
		return nil, err
	}
	enc, err := sd1.LoadTextEncoder(src, clipPrefix, ccfg, prog.add)
	if err != nil {
		return nil, err
	}
	prog.done()
	model := &sampling.Model{
		Name:     filepath.Base(path),
		Net:      unetNet{unet},
		Sampling: sampling.NewDiscrete(sampling.ScaledLinear, sampling.EPS),
		Format:   sampling.SD15,
	}
	return &Checkpoint{Model: model, CLIP: &sd1CLIP{enc: enc, layer: -1}, VAE: vae}, nil
}

var _ VAE = (*sd1.VAE)(nil)

// loadProgress logs checkpoint loading in roughly 10% steps.
type loadProgress struct {
	name        string
	total, read int64
	nextLog     int64
	start       time.Time
}

func newLoadProgress(name string, family Family, f *safetensors.File, prefixes ...string) *loadProgress {
	p := &loadProgress{name: name, start: time.Now()}
	for _, info := range f.Tensors {
		for _, pre := range prefixes {
			if strings.HasPrefix(info.Name, pre) {
				p.total += int64(info.Numel())
				break
			}
		}
	}
	p.nextLog = p.total / 10
	slog.Info("loading checkpoint", "file", name, "family", string(family), "parameters", p.total)
	return p
}

func (p *loadProgress) add(n int) {
	p.read += int64(n)
	if p.read < p.nextLog || p.read >= p.total {
		return
	}
	slog.Info("loading checkpoint", "file", p.name, "percent", 100*p.read/max(p.total, 1))
	for p.nextLog <= p.read {
		p.nextLog += max(p.total/10, 1)
	}
}

func (p *loadProgress) done() {
	slog.Info("checkpoint loaded", "file", p.name, "parameters", p.read, "seconds", time.Since(p.start).Seconds())
}

// unetNet adapts the SD1 UNet to sampling.DiffusionModel (eps prediction).
type unetNet struct{ u *sd1.UNet }

func (n unetNet) Apply(ctx context.Context, dst, xc *tensor.Tensor, timestep, sigma []float32, c *sampling.Cond) error {
	if c == nil || c.CrossAttn == nil || len(c.CrossAttn.Shape) != 3 {
		return fmt.Errorf("SD1 UNet needs text conditioning [B,tokens,%d]", n.u.Config().ContextDim)
	}
	if len(xc.Shape) != 4 {
		return fmt.Errorf("SD1 UNet needs a [B,C,H,W] latent, got %v", xc.Shape)
	}
	ca := c.CrossAttn
	out, err := n.u.Forward(ctx, xc.Data, xc.Shape[0], xc.Shape[2], xc.Shape[3], timestep, ca.Data, ca.Shape[0], ca.Shape[1])
	if err != nil {
		return err
	}
	copy(dst.Data, out)
	return nil
}

// sd1CLIP adapts the SD1 text encoder to CLIP: tokenizer, prompt weights
// and the CLIPSetLastLayer layer.
type sd1CLIP struct {
	enc   *sd1.TextEncoder
	layer int
}

func (c *sd1CLIP) WithLastLayer(n int) (CLIP, error) {
	if n >= 0 {
		return nil, fmt.Errorf("CLIP last layer must be negative (-1 is the last layer), got %d", n)
	}
	return &sd1CLIP{enc: c.enc, layer: n}, nil
}

func (c *sd1CLIP) Encode(ctx context.Context, text string) (sampling.Conditioning, error) {
	bpe, err := tokenizer.Default()
	if err != nil {
		return nil, err
	}
	tk := &tokenizer.Tokenizer{BPE: bpe}
	embedMu.RLock()
	if len(embedDirs) > 0 {
		tk.Embeddings = tokenizer.DirEmbeddings{Dirs: append([]string(nil), embedDirs...), Key: "clip_l"}
	}
	embedMu.RUnlock()
	cond, pooled, err := c.enc.EncodeChunks(ctx, tk.TokenizeWithWeights(text), c.layer)
	if err != nil {
		return nil, err
	}
	return sampling.Conditioning{{CrossAttn: cond, Pooled: pooled, Strength: 1}}, nil
}
