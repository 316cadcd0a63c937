package core

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"comfyd/nodes"
	"comfyd/paths"
	"comfyd/tensor"
)

func testCtx(t *testing.T) *nodes.Context {
	t.Helper()
	f := paths.New(t.TempDir())
	if err := f.Create(); err != nil {
		t.Fatal(err)
	}
	return &nodes.Context{Context: context.Background(), Env: &nodes.Env{Folders: f, PreviewMethod: "none"}, NodeID: "9"}
}

func testImages(b, h, w int) *tensor.Tensor {
	x := tensor.New(b, h, w, 3)
	for i := range x.Data {
		x.Data[i] = float32(i%256) / 255
	}
	return x
}

var (
	testPrompt   = json.RawMessage(`{"9":{"class_type":"SaveImage","inputs":{"filename_prefix":"x"}}}`)
	testPNGExtra = json.RawMessage(`{"workflow":{"nodes":[{"id":9}]},"note":"ü"}`)
)

func TestSaveImageNamingAndMetadata(t *testing.T) {
	ctx := testCtx(t)
	node := saveImage()
	in := nodes.Inputs{"images": testImages(2, 3, 5), "filename_prefix": "runs/%width%x%height%/cat",
		"prompt": testPrompt, "extra_pnginfo": testPNGExtra}
	res, err := node.Run(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	want := []any{
		nodes.FileRef{Filename: "cat_00001_.png", Subfolder: "runs/5x3", Type: "output"},
		nodes.FileRef{Filename: "cat_00002_.png", Subfolder: "runs/5x3", Type: "output"},
	}
	if len(res.UI["images"]) != 2 || res.UI["images"][0] != want[0] || res.UI["images"][1] != want[1] {
		t.Fatalf("ui %v", res.UI)
	}
	// The next run continues the counter.
	res, _ = node.Run(ctx, in)
	if ref := res.UI["images"][0].(nodes.FileRef); ref.Filename != "cat_00003_.png" {
		t.Errorf("second run wrote %s", ref.Filename)
	}
	data, err := os.ReadFile(filepath.Join(ctx.Env.Folders.Output, "runs", "5x3", "cat_00002_.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil || img.Bounds() != image.Rect(0, 0, 5, 3) {
		t.Fatalf("png %v %v", img.Bounds(), err)
	}
	texts, _ := nodes.ReadPNGText(data)
	got := map[string]string{}
	var keys []string
	for _, tx := range texts {
		got[tx.Key] = tx.Value
		keys = append(keys, tx.Key)
	}
	if strings.Join(keys, ",") != "prompt,workflow,note" {
		t.Errorf("chunk order %v", keys)
	}
	if got["prompt"] != `{"9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "x"}}}` ||
		got["workflow"] != `{"nodes": [{"id": 9}]}` || got["note"] != `"\u00fc"` {
		t.Errorf("metadata %v", got)
	}
	// The first pixel of image 2 is value (3*5*3 % 256)/255 -> 45.
	if r, _, _, _ := img.At(0, 0).RGBA(); r>>8 != 45 {
		t.Errorf("pixel %d", r>>8)
	}
	// Escapes fail the node.
	in["filename_prefix"] = "../../etc/x"
	if _, err := node.Run(ctx, in); err == nil {
		t.Error("escaping prefix accepted")
	}
}

func TestPreviewImageWritesTemp(t *testing.T) {
	ctx := testCtx(t)
	node := previewImage()
	in := nodes.Inputs{"images": testImages(1, 2, 2)}
	a, err := node.Run(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := node.Run(ctx, in)
	ra, rb := a.UI["images"][0].(nodes.FileRef), b.UI["images"][0].(nodes.FileRef)
	if ra.Type != "temp" || ra.Subfolder != "" || !strings.HasPrefix(ra.Filename, "ComfyUI_temp_") || len(ra.Filename) != len("ComfyUI_temp_abcde_00001_.png") {
		t.Errorf("preview ref %+v", ra)
	}
	// Same node: same random suffix, next counter.
	if rb.Filename[:18] != ra.Filename[:18] || !strings.HasSuffix(rb.Filename, "_00002_.png") {
		t.Errorf("second preview %s after %s", rb.Filename, ra.Filename)
	}
	if _, err := os.Stat(filepath.Join(ctx.Env.Folders.Temp, ra.Filename)); err != nil {
		t.Error(err)
	}
}

func TestLoadImageNodes(t *testing.T) {
	ctx := testCtx(t)
	env := ctx.Env
	img := image.NewNRGBA(image.Rect(0, 0, 2, 2))
	for i := range img.Pix {
		img.Pix[i] = uint8(60 * (i % 4))
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	if err := os.MkdirAll(filepath.Join(env.Folders.Input, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(env.Folders.Input, "b.png"), buf.Bytes(), 0o644)
	os.WriteFile(filepath.Join(env.Folders.Input, "sub", "c.png"), buf.Bytes(), 0o644)
	os.WriteFile(filepath.Join(env.Folders.Input, "a.txt"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(env.Folders.Output, "o.png"), buf.Bytes(), 0o644)
	node := loadImage()
	info := node.Info(env)
	if spec := info.Input["required"]["image"].([]any); len(spec[0].([]any)) != 1 || spec[0].([]any)[0] != "b.png" {
		t.Errorf("choices %v", spec)
	}
	for _, name := range []string{"b.png", "sub/c.png", "o.png [output]"} {
		in := nodes.Inputs{"image": name}
		if err := node.ValidateInputs(env, in); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		res, err := node.Run(ctx, in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		im, m := res.Outputs[0].(*tensor.Tensor), res.Outputs[1].(*tensor.Tensor)
		if !tensor.EqualShape(im.Shape, []int{1, 2, 2, 3}) || !tensor.EqualShape(m.Shape, []int{1, 2, 2}) {
			t.Fatalf("%s: shapes %v %v", name, im.Shape, m.Shape)
		}
		// alpha 180 -> mask 1 - 180/255.
		if want := 1 - float32(180)/255; m.Data[0] != want {
			t.Errorf("%s: mask %v, want %v", name, m.Data[0], want)
		}
	}
	for _, bad := range []string{"missing.png", "../x.png", "a.png [nowhere]"} {
		if err := node.ValidateInputs(env, nodes.Inputs{"image": bad}); err == nil || !strings.HasPrefix(err.Error(), "Invalid image file: ") {
			t.Errorf("%s: %v", bad, err)
		}
	}
	h1, err := node.IsChanged(ctx, nodes.Inputs{"image": "b.png"})
	if err != nil || len(h1.(string)) != 64 {
		t.Fatalf("hash %v %v", h1, err)
	}
	os.WriteFile(filepath.Join(env.Folders.Input, "b.png"), append(buf.Bytes(), 0), 0o644)
	if h2, _ := node.IsChanged(ctx, nodes.Inputs{"image": "b.png"}); h2 == h1 {
		t.Error("IsChanged ignores the file content")
	}
	res, err := loadImageMask().Run(ctx, nodes.Inputs{"image": "sub/c.png", "channel": "green"})
	if err != nil {
		t.Fatal(err)
	}
	if m := res.Outputs[0].(*tensor.Tensor); m.Data[0] != float32(60)/255 {
		t.Errorf("green mask %v", m.Data)
	}
}

func TestSaveLatentLoadLatentRoundTrip(t *testing.T) {
	ctx := testCtx(t)
	x := seq(2, 4, 3, 5)
	res, err := saveLatent().Run(ctx, nodes.Inputs{"samples": &nodes.Latent{Samples: x}, "filename_prefix": "latents/ComfyUI",
		"prompt": testPrompt, "extra_pnginfo": testPNGExtra})
	if err != nil {
		t.Fatal(err)
	}
	ref := res.UI["latents"][0].(nodes.FileRef)
	if ref != (nodes.FileRef{Filename: "ComfyUI_00001_.latent", Subfolder: "latents", Type: "output"}) {
		t.Fatalf("ref %+v", ref)
	}
	src := filepath.Join(ctx.Env.Folders.Output, "latents", ref.Filename)
	lf, err := nodes.ReadLatentFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if lf.Metadata["prompt"] != `{"9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "x"}}}` || lf.Metadata["workflow"] != `{"nodes": [{"id": 9}]}` {
		t.Errorf("metadata %v", lf.Metadata)
	}
	data, _ := os.ReadFile(src)
	os.WriteFile(filepath.Join(ctx.Env.Folders.Input, "mine.latent"), data, 0o644)
	node := loadLatent()
	if spec := node.Info(ctx.Env).Input["required"]["latent"].([]any); len(spec) != 1 || spec[0].([]any)[0] != "mine.latent" {
		t.Errorf("latent choices %v", spec)
	}
	out, err := node.Run(ctx, nodes.Inputs{"latent": "mine.latent"})
	if err != nil {
		t.Fatal(err)
	}
	got := out.Outputs[0].(*nodes.Latent).Samples
	if !tensor.SameShape(got, x) || !equalF(got.Data, x.Data) {
		t.Error("round trip changed the latent")
	}
	// Also readable as ComfyUI output: the file listed with an annotation.
	if _, err := node.Run(ctx, nodes.Inputs{"latent": "latents/ComfyUI_00001_.latent [output]"}); err != nil {
		t.Error(err)
	}
	if err := node.ValidateInputs(ctx.Env, nodes.Inputs{"latent": "nope.latent"}); err == nil || err.Error() != "Invalid latent file: nope.latent" {
		t.Errorf("validate: %v", err)
	}
	// A hostile file is an error, not a panic.
	os.WriteFile(filepath.Join(ctx.Env.Folders.Input, "bad.latent"), []byte("\xff\xff\xff\xff\xff\xff\xff\x7f{}"), 0o644)
	if _, err := node.Run(ctx, nodes.Inputs{"latent": "bad.latent"}); err == nil {
		t.Error("hostile latent accepted")
	}
}
