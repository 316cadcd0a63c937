package tensor

//go:noescape
func expShiftAVX2(x *float32, n int, shift float32) float32

//go:noescape
func maxAVX2(x *float32, n int) float32

//go:noescape
func scaleAVX2(x *float32, n int, s float32)

//go:noescape
func quickGELUAVX2(x *float32, n int)
