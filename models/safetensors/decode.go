package safetensors

import (
	"encoding/binary"
	"fmt"
	"math"
	"runtime"
	"sync"
)

// halfTable maps every binary16 bit pattern to its float32 value (256 KB),
// built on first use: a lookup is several times faster than the bit
// manipulation when converting gigabytes of fp16 weights.
var halfTable = sync.OnceValue(func() *[1 << 16]float32 {
	var t [1 << 16]float32
	for i := range t {
		t[i] = HalfToFloat32(uint16(i))
	}
	return &t
})

// parallelDecodeMin is the element count from which Decode splits the work
// across cores.
const parallelDecodeMin = 1 << 20

// Decode converts raw little-endian elements of dtype to float32 in dst
// (len(dst) elements).
func Decode(dst []float32, dtype DType, raw []byte) error {
	size := dtype.Size()
	if size == 0 || len(raw) != size*len(dst) {
		return fmt.Errorf("%d bytes of %s for %d elements", len(raw), dtype, len(dst))
	}
	workers := runtime.GOMAXPROCS(0)
	if len(dst) < parallelDecodeMin || workers == 1 {
		return decode(dst, dtype, raw)
	}
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		lo, hi := w*len(dst)/workers, (w+1)*len(dst)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[w] = decode(dst[lo:hi], dtype, raw[lo*size:hi*size])
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func decode(dst []float32, dtype DType, raw []byte) error {
	switch dtype {
	case F32:
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
	case F16:
		t := halfTable()
		raw = raw[:2*len(dst)]
		for i := range dst {
			dst[i] = t[uint16(raw[2*i])|uint16(raw[2*i+1])<<8]
		}
	case BF16:
		for i := range dst {
			dst[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(raw[2*i:])) << 16)
		}
	case F64:
		for i := range dst {
			dst[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:])))
		}
	case I64:
		for i := range dst {
			dst[i] = float32(int64(binary.LittleEndian.Uint64(raw[8*i:])))
		}
	case I32:
		for i := range dst {
			dst[i] = float32(int32(binary.LittleEndian.Uint32(raw[4*i:])))
		}
	case I16:
		for i := range dst {
			dst[i] = float32(int16(binary.LittleEndian.Uint16(raw[2*i:])))
		}
	case I8:
		for i := range dst {
			dst[i] = float32(int8(raw[i]))
		}
	case U8:
		for i := range dst {
			dst[i] = float32(raw[i])
		}
	case Bool:
		for i := range dst {
			if raw[i] != 0 {
				dst[i] = 1
			} else {
				dst[i] = 0
			}
		}
	default:
		return fmt.Errorf("cannot convert %s to float32", dtype)
	}
	return nil
}

// HalfToFloat32 converts an IEEE 754 binary16 value exactly.
func HalfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // inf / nan
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp != 0: // normal
		return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
	case mant == 0:
		return math.Float32frombits(sign)
	}
	// subnormal: normalise
	e := uint32(113)
	for mant&0x400 == 0 {
		mant <<= 1
		e--
	}
	return math.Float32frombits(sign | e<<23 | (mant&0x3ff)<<13)
}

// Float32ToHalf rounds to the nearest binary16 (ties to even).
func Float32ToHalf(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	mant := b & 0x7fffff
	if exp == 0xff {
		if mant != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e <= 0 {
		if e < -10 {
			return sign
		}
		mant |= 0x800000
		shift := uint32(14 - e)
		half := uint32(1) << (shift - 1)
		r := mant >> shift
		rem := mant & (1<<shift - 1)
		if rem > half || (rem == half && r&1 == 1) {
			r++
		}
		return sign | uint16(r)
	}
	r := uint32(e)<<10 | mant>>13
	rem := mant & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && r&1 == 1) {
		r++
	}
	return sign | uint16(r)
}
