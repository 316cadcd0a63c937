package server

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/png"
	"io"
)

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

func encodePNG(w io.Writer, img image.Image) error {
	enc := png.Encoder{CompressionLevel: png.DefaultCompression}
	return enc.Encode(w, img)
}

// textChunks returns the raw tEXt, zTXt and iTXt chunks (length, type,
// data, CRC) of a PNG, nil when it is not a PNG.
func textChunks(data []byte) [][]byte {
	if !bytes.HasPrefix(data, pngSignature) {
		return nil
	}
	var out [][]byte
	for p := len(pngSignature); p+12 <= len(data); {
		n := int(binary.BigEndian.Uint32(data[p:]))
		if n < 0 || p+12+n > len(data) {
			break
		}
		typ := string(data[p+4 : p+8])
		if typ == "tEXt" || typ == "zTXt" || typ == "iTXt" {
			out = append(out, data[p:p+12+n])
		}
		if typ == "IEND" {
			break
		}
		p += 12 + n
	}
	return out
}

// withTextChunks inserts chunks right before the first IDAT of a PNG
// encoded by image/png.
func withTextChunks(pngData []byte, chunks [][]byte) ([]byte, error) {
	if len(chunks) == 0 {
		return pngData, nil
	}
	for p := len(pngSignature); p+12 <= len(pngData); {
		n := int(binary.BigEndian.Uint32(pngData[p:]))
		if string(pngData[p+4:p+8]) == "IDAT" {
			var out bytes.Buffer
			out.Write(pngData[:p])
			for _, c := range chunks {
				out.Write(c)
			}
			out.Write(pngData[p:])
			return out.Bytes(), nil
		}
		p += 12 + n
	}
	return nil, errors.New("png without IDAT")
}
