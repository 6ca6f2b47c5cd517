package aws

import "context"

// afterCreate is what becomes of the run CodePipeline starts when it creates a pipeline.
func (b *Backend) afterCreate(ctx context.Context, name string) error { return nil }
