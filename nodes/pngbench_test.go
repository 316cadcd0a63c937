package nodes

import (
	"image"
	"image/png"
	"testing"
)

func benchPNG(b *testing.B, level png.CompressionLevel) {
	img := image.NewNRGBA(image.Rect(0, 0, 512, 512))
	for y := 0; y < 512; y++ {
		for x := 0; x < 512; x++ {
			i := img.PixOffset(x, y)
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = uint8(x/2+y/8), uint8(y/2), uint8((x*y)>>8), 255
		}
	}
	b.ResetTimer()
	var n int
	for i := 0; i < b.N; i++ {
		data, _ := EncodePNG(img, nil, level)
		n = len(data)
	}
	b.ReportMetric(float64(n), "bytes")
}
func BenchmarkPNGDefault(b *testing.B)   { benchPNG(b, png.DefaultCompression) }
func BenchmarkPNGBestSpeed(b *testing.B) { benchPNG(b, png.BestSpeed) }
