package nodes

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"

	"comfyd/tensor"
)

// ImageRow converts image i of an IMAGE tensor [B,H,W,C] (C = 1, 3 or 4,
// values in [0,1]) to a Go image the way ComfyUI does before saving:
// clip(255 * v, 0, 255) truncated to uint8.
func ImageRow(images *tensor.Tensor, i int) (image.Image, error) {
	if images == nil || len(images.Shape) != 4 {
		return nil, fmt.Errorf("expected an IMAGE [B,H,W,C], got %v", images)
	}
	h, w, c := images.Shape[1], images.Shape[2], images.Shape[3]
	if i < 0 || i >= images.Shape[0] {
		return nil, fmt.Errorf("image index %d out of range for batch of %d", i, images.Shape[0])
	}
	data := images.Data[i*h*w*c : (i+1)*h*w*c]
	rect := image.Rect(0, 0, w, h)
	switch c {
	case 1:
		img := image.NewGray(rect)
		for p, v := range data {
			img.Pix[p] = toByte(v)
		}
		return img, nil
	case 3:
		img := image.NewNRGBA(rect)
		for p := 0; p < h*w; p++ {
			img.Pix[4*p] = toByte(data[3*p])
			img.Pix[4*p+1] = toByte(data[3*p+1])
			img.Pix[4*p+2] = toByte(data[3*p+2])
			img.Pix[4*p+3] = 255
		}
		return img, nil
	case 4:
		img := image.NewNRGBA(rect)
		for p, v := range data {
			img.Pix[p] = toByte(v)
		}
		return img, nil
	}
	return nil, fmt.Errorf("cannot save an image with %d channels", c)
}

// toByte is numpy's clip(255*v, 0, 255).astype(uint8): truncation, NaN -> 0.
func toByte(v float32) uint8 {
	x := 255 * v
	if !(x > 0) {
		return 0
	}
	if x >= 255 {
		return 255
	}
	return uint8(x)
}

// LoadedImage is what LoadImage produces from one file.
type LoadedImage struct {
	Image *tensor.Tensor // [B,H,W,3]
	Mask  *tensor.Tensor // [B,H,W], or [B,64,64] zeros without alpha
}

// DecodeImageFile reads an image file as ComfyUI's LoadImage does: every
// frame of the first frame's size becomes a batch entry (GIF), EXIF
// orientation is applied (JPEG), RGB in [0,1], and MASK = 1 - alpha for
// images with an alpha channel or a transparent palette entry, 64x64 zeros
// otherwise. PNG (first frame only for APNG), JPEG and GIF are supported;
// other formats are an error that names the format.
func DecodeImageFile(path string) (*LoadedImage, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	frames, hasAlpha, err := decodeFrames(data)
	if err != nil {
		return nil, err
	}
	b0 := frames[0].Bounds()
	w, h := b0.Dx(), b0.Dy()
	var keep []image.Image
	for _, f := range frames {
		if f.Bounds().Dx() == w && f.Bounds().Dy() == h {
			keep = append(keep, f)
		}
	}
	if err := CheckTensorSize("image", len(keep), h, w, 4); err != nil {
		return nil, err
	}
	out := &LoadedImage{Image: tensor.New(len(keep), h, w, 3)}
	if hasAlpha {
		out.Mask = tensor.New(len(keep), h, w)
	} else {
		out.Mask = tensor.New(len(keep), 64, 64)
	}
	for i, f := range keep {
		nrgba := toNRGBA(f)
		px := out.Image.Data[i*h*w*3:]
		for p := 0; p < h*w; p++ {
			// convert("RGB") drops alpha without premultiplying.
			px[3*p] = float32(nrgba.Pix[4*p]) / 255
			px[3*p+1] = float32(nrgba.Pix[4*p+1]) / 255
			px[3*p+2] = float32(nrgba.Pix[4*p+2]) / 255
		}
		if hasAlpha {
			m := out.Mask.Data[i*h*w:]
			for p := 0; p < h*w; p++ {
				m[p] = 1 - float32(nrgba.Pix[4*p+3])/255
			}
		}
	}
	return out, nil
}

// MaskChannel names a LoadImageMask channel.
var MaskChannels = []string{"alpha", "red", "green", "blue"}

// DecodeMaskFile reads one channel of an image file as a MASK [1,H,W] as
// ComfyUI's LoadImageMask does: the image is converted to RGBA (opaque when
// it has no alpha), the channel is scaled to [0,1] and alpha is inverted.
func DecodeMaskFile(path, channel string) (*tensor.Tensor, error) {
	idx := -1
	for i, c := range MaskChannels {
		if c == channel {
			idx = i
		}
	}
	if idx < 0 {
		return nil, fmt.Errorf("unknown mask channel %q (want one of %v)", channel, MaskChannels)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	frames, _, err := decodeFrames(data)
	if err != nil {
		return nil, err
	}
	nrgba := toNRGBA(frames[0])
	b := nrgba.Bounds()
	w, h := b.Dx(), b.Dy()
	if err := CheckTensorSize("mask", 1, h, w); err != nil {
		return nil, err
	}
	// RGBA band order is R, G, B, A; the channel list is alpha, red, green, blue.
	band := (idx + 3) % 4
	m := tensor.New(1, h, w)
	for p := 0; p < h*w; p++ {
		v := float32(nrgba.Pix[4*p+band]) / 255
		if band == 3 {
			v = 1 - v
		}
		m.Data[p] = v
	}
	return m, nil
}

// maxImagePixels bounds the decoded size of one frame, like PIL's
// decompression-bomb guard (which errors at 2x its 89.5 Mpixel default).
const maxImagePixels = 2 * 89478485

// ErrImageTooLarge is wrapped by the decoders' error for an image whose
// header declares more pixels than maxImagePixels (or none).
var ErrImageTooLarge = errors.New("image size outside the supported range")

// decodeImageConfig reads an image's header and refuses a declared size
// beyond maxImagePixels before any pixel buffer is allocated: a 100-byte
// PNG can claim 65535x65535 pixels (16 GiB as RGBA).
func decodeImageConfig(data []byte) (image.Config, string, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return cfg, "", fmt.Errorf("cannot read image: %w (supported: PNG, JPEG, GIF)", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > maxImagePixels {
		return cfg, "", fmt.Errorf("image of %dx%d pixels: %w (at most %d pixels)", cfg.Width, cfg.Height, ErrImageTooLarge, maxImagePixels)
	}
	return cfg, format, nil
}

// DecodeImage decodes the first frame of a PNG, JPEG or GIF image as
// stored (no EXIF orientation), like image.Decode, but checks the declared
// size first (see decodeImageConfig). It returns the format name. Use it,
// not image.Decode, for any image a client supplied.
func DecodeImage(data []byte) (image.Image, string, error) {
	_, format, err := decodeImageConfig(data)
	if err != nil {
		return nil, "", err
	}
	var img image.Image
	switch format {
	case "png":
		img, err = png.Decode(bytes.NewReader(data))
	case "jpeg":
		img, err = jpeg.Decode(bytes.NewReader(data))
	case "gif":
		img, err = gif.Decode(bytes.NewReader(data))
	default:
		return nil, "", fmt.Errorf("image format %q is not supported (supported: PNG, JPEG, GIF)", format)
	}
	if err != nil {
		return nil, "", fmt.Errorf("cannot read image: %w", err)
	}
	return img, format, nil
}

func decodeFrames(data []byte) (frames []image.Image, hasAlpha bool, err error) {
	cfg, format, err := decodeImageConfig(data)
	if err != nil {
		return nil, false, err
	}
	switch format {
	case "png":
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			return nil, false, err
		}
		return []image.Image{img}, pngHasAlpha(data), nil
	case "jpeg":
		img, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			return nil, false, err
		}
		return []image.Image{applyOrientation(img, jpegOrientation(data))}, false, nil
	case "gif":
		// Every frame is decoded and composited up front: bound the total
		// before the decoder allocates (a tiny GIF can hold many large,
		// highly compressible frames).
		n, err := gifFrameCount(data)
		if err != nil {
			return nil, false, err
		}
		if err := CheckTensorSize("decoded GIF frames", n, cfg.Height, cfg.Width, 5); err != nil {
			return nil, false, err
		}
		g, err := gif.DecodeAll(bytes.NewReader(data))
		if err != nil {
			return nil, false, err
		}
		frames, transparent := compositeGIF(g)
		return frames, transparent, nil
	}
	return nil, false, fmt.Errorf("image format %q is not supported (supported: PNG, JPEG, GIF)", format)
}

// gifFrameCount walks a GIF's block structure without decoding pixels and
// returns its number of image frames.
func gifFrameCount(d []byte) (int, error) {
	bad := errors.New("cannot read image: malformed GIF")
	if len(d) < 13 {
		return 0, bad
	}
	p := 13
	if d[10]&0x80 != 0 {
		p += 3 << (d[10]&7 + 1)
	}
	skipSubBlocks := func() bool {
		for p < len(d) {
			n := int(d[p])
			p++
			if n == 0 {
				return true
			}
			p += n
		}
		return false
	}
	frames := 0
	for p < len(d) {
		switch d[p] {
		case 0x21: // extension: label, then sub-blocks
			p += 2
			if !skipSubBlocks() {
				return 0, bad
			}
		case 0x2c: // image descriptor
			if p+10 > len(d) {
				return 0, bad
			}
			flags := d[p+9]
			p += 10
			if flags&0x80 != 0 {
				p += 3 << (flags&7 + 1)
			}
			p++ // LZW minimum code size
			if !skipSubBlocks() {
				return 0, bad
			}
			frames++
		case 0x3b: // trailer
			return max(frames, 1), nil
		default:
			return 0, bad
		}
	}
	return max(frames, 1), nil
}

// pngHasAlpha follows PIL: colour types 4 and 6 have an alpha band, and a
// palette image with a tRNS chunk is converted through RGBA for its mask.
// Grey or RGB images with tRNS keep no mask, as in ComfyUI.
func pngHasAlpha(data []byte) bool {
	if len(data) < 26 {
		return false
	}
	switch data[25] {
	case 4, 6:
		return true
	case 3:
		return bytes.Contains(data, []byte("tRNS"))
	}
	return false
}

// compositeGIF renders each GIF frame onto the canvas with its disposal
// method, as PIL's sequence iterator shows it.
func compositeGIF(g *gif.GIF) ([]image.Image, bool) {
	w, h := g.Config.Width, g.Config.Height
	if w == 0 || h == 0 {
		b := g.Image[0].Bounds()
		w, h = b.Max.X, b.Max.Y
	}
	transparent := false
	canvas := image.NewNRGBA(image.Rect(0, 0, w, h))
	var frames []image.Image
	for i, fr := range g.Image {
		for _, c := range fr.Palette {
			if _, _, _, a := c.RGBA(); a < 0xffff {
				transparent = true
			}
		}
		var saved *image.NRGBA
		disposal := byte(0)
		if i < len(g.Disposal) {
			disposal = g.Disposal[i]
		}
		if disposal == gif.DisposalPrevious {
			saved = image.NewNRGBA(canvas.Bounds())
			copy(saved.Pix, canvas.Pix)
		}
		draw.Draw(canvas, fr.Bounds(), fr, fr.Bounds().Min, draw.Over)
		snap := image.NewNRGBA(canvas.Bounds())
		copy(snap.Pix, canvas.Pix)
		frames = append(frames, snap)
		switch disposal {
		case gif.DisposalBackground:
			draw.Draw(canvas, fr.Bounds(), image.Transparent, image.Point{}, draw.Src)
		case gif.DisposalPrevious:
			canvas = saved
		}
	}
	return frames, transparent
}

func toNRGBA(img image.Image) *image.NRGBA {
	if n, ok := img.(*image.NRGBA); ok && n.Rect.Min == (image.Point{}) {
		return n
	}
	b := img.Bounds()
	out := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	switch src := img.(type) {
	case *image.Gray16:
		// PIL opens 16-bit grey as mode I; ComfyUI scales it by 1/255 and
		// convert("RGB") clips to 255.
		for y := 0; y < b.Dy(); y++ {
			for x := 0; x < b.Dx(); x++ {
				v := src.Gray16At(b.Min.X+x, b.Min.Y+y).Y / 255
				if v > 255 {
					v = 255
				}
				o := out.PixOffset(x, y)
				out.Pix[o], out.Pix[o+1], out.Pix[o+2], out.Pix[o+3] = uint8(v), uint8(v), uint8(v), 255
			}
		}
		return out
	case *image.YCbCr, *image.Gray, *image.RGBA, *image.CMYK:
		// Opaque sources (Go's decoders give alpha only through NRGBA,
		// NRGBA64 and palettes): premultiplied equals straight alpha, and
		// draw has fast paths into RGBA.
		rgba := &image.RGBA{Pix: out.Pix, Stride: out.Stride, Rect: out.Rect}
		draw.Draw(rgba, rgba.Rect, img, b.Min, draw.Src)
		return out
	case *image.Paletted:
		pal := make([]color.NRGBA, len(src.Palette))
		for i, c := range src.Palette {
			pal[i] = color.NRGBAModel.Convert(c).(color.NRGBA)
		}
		for y := 0; y < b.Dy(); y++ {
			for x := 0; x < b.Dx(); x++ {
				idx := int(src.Pix[src.PixOffset(b.Min.X+x, b.Min.Y+y)])
				var c color.NRGBA
				if idx < len(pal) {
					c = pal[idx]
				}
				o := out.PixOffset(x, y)
				out.Pix[o], out.Pix[o+1], out.Pix[o+2], out.Pix[o+3] = c.R, c.G, c.B, c.A
			}
		}
		return out
	}
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			c := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
			o := out.PixOffset(x, y)
			out.Pix[o], out.Pix[o+1], out.Pix[o+2], out.Pix[o+3] = c.R, c.G, c.B, c.A
		}
	}
	return out
}

// jpegOrientation returns the EXIF orientation (1-8) of a JPEG, 1 if absent
// or unreadable.
func jpegOrientation(data []byte) int {
	if len(data) < 4 || data[0] != 0xff || data[1] != 0xd8 {
		return 1
	}
	for p := 2; p+4 <= len(data); {
		if data[p] != 0xff {
			return 1
		}
		marker := data[p+1]
		if marker == 0xda || marker == 0xd9 { // start of scan, end
			return 1
		}
		n := int(binary.BigEndian.Uint16(data[p+2:]))
		if n < 2 || p+2+n > len(data) {
			return 1
		}
		seg := data[p+4 : p+2+n]
		if marker == 0xe1 && len(seg) > 6 && string(seg[:6]) == "Exif\x00\x00" {
			if o, err := tiffOrientation(seg[6:]); err == nil {
				return o
			}
			return 1
		}
		p += 2 + n
	}
	return 1
}

func tiffOrientation(t []byte) (int, error) {
	if len(t) < 8 {
		return 0, errors.New("short tiff")
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0, errors.New("bad byte order")
	}
	ifd := int(bo.Uint32(t[4:]))
	if ifd < 8 || ifd+2 > len(t) {
		return 0, errors.New("bad ifd")
	}
	count := int(bo.Uint16(t[ifd:]))
	for i := 0; i < count; i++ {
		e := ifd + 2 + 12*i
		if e+12 > len(t) {
			break
		}
		if bo.Uint16(t[e:]) == 0x0112 {
			o := int(bo.Uint16(t[e+8:]))
			if o >= 1 && o <= 8 {
				return o, nil
			}
			return 0, errors.New("bad orientation")
		}
	}
	return 1, nil
}

// applyOrientation is PIL's ImageOps.exif_transpose for orientations 2-8.
func applyOrientation(img image.Image, o int) image.Image {
	if o <= 1 || o > 8 {
		return img
	}
	src := toNRGBA(img)
	w, h := src.Rect.Dx(), src.Rect.Dy()
	ow, oh := w, h
	if o >= 5 {
		ow, oh = h, w
	}
	dst := image.NewNRGBA(image.Rect(0, 0, ow, oh))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var dx, dy int
			switch o {
			case 2: // mirror horizontal
				dx, dy = w-1-x, y
			case 3: // rotate 180
				dx, dy = w-1-x, h-1-y
			case 4: // mirror vertical
				dx, dy = x, h-1-y
			case 5: // transpose
				dx, dy = y, x
			case 6: // rotate 90 clockwise
				dx, dy = h-1-y, x
			case 7: // transverse
				dx, dy = h-1-y, w-1-x
			case 8: // rotate 90 counter-clockwise
				dx, dy = y, w-1-x
			}
			copy(dst.Pix[dst.PixOffset(dx, dy):dst.PixOffset(dx, dy)+4], src.Pix[src.PixOffset(x, y):src.PixOffset(x, y)+4])
		}
	}
	return dst
}
