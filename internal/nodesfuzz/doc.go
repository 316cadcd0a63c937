// Package nodesfuzz holds fuzz targets for the file decoders of package
// nodes that users reach by uploading files (LoadImage, LoadImageMask and
// PNG workflow metadata), written against nodes' public API. It has no
// code of its own.
package nodesfuzz
