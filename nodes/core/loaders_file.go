package core

import (
	"comfyd/models"
	"comfyd/nodes"
)

// loadCheckpointFile loads a checkpoint file of the checkpoints folders.
// SD1.x safetensors checkpoints load; any other family fails with an error
// naming the family detected from its keys.
func loadCheckpointFile(ctx *nodes.Context, path, name string) (*models.Checkpoint, error) {
	return models.LoadCheckpointFile(ctx, path)
}
