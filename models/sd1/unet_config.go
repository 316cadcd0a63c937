package sd1

import "fmt"

// UNetConfig is the subset of ComfyUI's UNetModel arguments that SD1-style
// UNets (spatial transformers, no ADM, no temporal layers) use.
type UNetConfig struct {
	InChannels, OutChannels int
	ModelChannels           int
	ChannelMult             []int
	NumResBlocks            []int // per level
	// TransformerDepth has one entry per input res block (level-major).
	TransformerDepth []int
	// TransformerDepthOutput has one entry per output res block, consumed
	// from the end (output level len-1 first), as ComfyUI pops it.
	TransformerDepthOutput []int
	// TransformerDepthMiddle < 0 means a middle block without a
	// transformer.
	TransformerDepthMiddle int
	ContextDim             int
	UseLinearInTransformer bool
	// NumHeads is the head count when NumHeadChannels is -1; otherwise
	// the head count is channels/NumHeadChannels.
	NumHeads, NumHeadChannels int
}

// SD15Heads is SD1.x's head count (ComfyUI's SD15.unet_extra_config); the
// keys cannot tell it.
const SD15Heads = 8

// heads returns the head count and width for a block of ch channels.
func (c UNetConfig) heads(ch int) (int, int, error) {
	if c.NumHeadChannels > 0 {
		if ch%c.NumHeadChannels != 0 {
			return 0, 0, fmt.Errorf("UNet: %d channels not divisible into %d-wide heads", ch, c.NumHeadChannels)
		}
		return ch / c.NumHeadChannels, c.NumHeadChannels, nil
	}
	if c.NumHeads <= 0 || ch%c.NumHeads != 0 {
		return 0, 0, fmt.Errorf("UNet: %d channels not divisible into %d heads", ch, c.NumHeads)
	}
	return c.NumHeads, ch / c.NumHeads, nil
}

// Validate checks the lists against each other.
func (c UNetConfig) Validate() error {
	levels := len(c.ChannelMult)
	if levels == 0 || len(c.NumResBlocks) != levels {
		return fmt.Errorf("UNet config: %d channel multipliers but %d res-block counts", levels, len(c.NumResBlocks))
	}
	in, out := 0, 0
	for _, n := range c.NumResBlocks {
		in += n
		out += n + 1
	}
	if len(c.TransformerDepth) != in || len(c.TransformerDepthOutput) != out {
		return fmt.Errorf("UNet config: transformer depths %d/%d entries, want %d/%d", len(c.TransformerDepth), len(c.TransformerDepthOutput), in, out)
	}
	if c.ModelChannels <= 0 || c.InChannels <= 0 || c.OutChannels <= 0 {
		return fmt.Errorf("UNet config: non-positive channel counts")
	}
	for _, m := range c.ChannelMult {
		if m <= 0 || c.ModelChannels*m%32 != 0 {
			return fmt.Errorf("UNet config: %d channels at a level (GroupNorm needs multiples of 32)", c.ModelChannels*m)
		}
	}
	for _, n := range c.NumResBlocks {
		if n <= 0 {
			return fmt.Errorf("UNet config: a level without res blocks")
		}
	}
	return nil
}
