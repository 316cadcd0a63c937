package builtin

import (
	"context"
	"testing"
)

func BenchmarkPaintSet64(b *testing.B) {
	vae, err := newColourVAE(sdFormat())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := paintSet(context.Background(), vae, 64, 64); err != nil {
			b.Fatal(err)
		}
	}
}
