//go:build !amd64 || purego

package noise

import "unsafe"

// logSin64AVX2 stands in for the assembly test hook (the test skips without the kernel).
func logSin64AVX2(lg, sn, u, v *float64, n4 int) {
	lgs, sns := unsafe.Slice(lg, 4*n4), unsafe.Slice(sn, 4*n4)
	us, vs := unsafe.Slice(u, 4*n4), unsafe.Slice(v, 4*n4)
	for i := range lgs {
		lgs[i], sns[i] = log64(us[i]), sin64(vs[i])
	}
}

// logSin64AVX512 stands in for the AVX-512 test hook.
func logSin64AVX512(lg, sn, u, v *float64, n8 int) { logSin64AVX2(lg, sn, u, v, 2*n8) }
