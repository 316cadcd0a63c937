package core

import (
	"fmt"

	"comfyd/models"
	"comfyd/nodes"
)

// loadCheckpointFile loads a checkpoint file. comfyd has no file loader
// yet (models.LoadCheckpointFile does not exist), so a real file is a clear
// error naming the built-in checkpoints instead.
func loadCheckpointFile(ctx *nodes.Context, path, name string) (*models.Checkpoint, error) {
	return nil, fmt.Errorf("checkpoint %q: loading checkpoint files is not supported yet (comfyd cannot read this file format); use a built-in checkpoint: %v", name, models.Builtins())
}
