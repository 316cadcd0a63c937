package nodes

import (
	"testing"

	"comfyd/tensor"
)

// BenchmarkPreview64 is one latent2rgb preview of a 512x512 image's latent:
// factors, bilinear scaling to 512x512 and JPEG at quality 95.
func BenchmarkPreview64(b *testing.B) {
	x := tensor.New(1, 4, 64, 64)
	for i := range x.Data {
		x.Data[i] = float32(i%97)/50 - 1
	}
	b.ReportAllocs()
	for b.Loop() {
		img, err := Latent2RGB(x, sd15Factors, [3]float32{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := EncodePreviewJPEG(img, PreviewSize); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPreviewParts(b *testing.B) {
	x := tensor.New(1, 4, 64, 64)
	img, _ := Latent2RGB(x, sd15Factors, [3]float32{})
	b.Run("latent2rgb", func(b *testing.B) {
		for b.Loop() {
			Latent2RGB(x, sd15Factors, [3]float32{})
		}
	})
	b.Run("resize", func(b *testing.B) {
		for b.Loop() {
			ResizeBilinear(img, 512, 512)
		}
	})
}
