package tensor

//go:noescape
func expShiftAVX2(x *float32, n int, shift float32) float32
