package nodes

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"testing"
)

func TestEncodePNGTextChunks(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	texts, err := SaveMetadata(json.RawMessage(`{"3":{"class_type":"KSampler"}}`),
		json.RawMessage(`{"workflow":{"nodes":[]},"extra":"é"}`))
	if err != nil {
		t.Fatal(err)
	}
	texts = append(texts, PNGText{Key: "unicode", Value: "猫"})
	data, err := EncodePNG(img, texts, PNGSave)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(data)); err != nil {
		t.Fatalf("not a valid PNG: %v", err)
	}
	got, err := ReadPNGText(data)
	if err != nil {
		t.Fatal(err)
	}
	want := []PNGText{
		{"prompt", `{"3": {"class_type": "KSampler"}}`},
		{"workflow", `{"nodes": []}`},
		{"extra", `"\u00e9"`},
		{"unicode", "猫"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d chunks %v, want %v", len(got), got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("chunk %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	// The text chunks come before the image data.
	if bytes.Index(data, []byte("tEXt")) > bytes.Index(data, []byte("IDAT")) {
		t.Error("tEXt after IDAT")
	}
	for _, bad := range []string{"", string(make([]byte, 80)), "a\x00b", "猫"} {
		if _, err := EncodePNG(img, []PNGText{{Key: bad, Value: "v"}}, PNGSave); err == nil {
			t.Errorf("keyword %q accepted", bad)
		}
	}
}
