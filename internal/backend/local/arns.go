package local

import "github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"

// ARNs name their partition, which follows from the region (internal/arn): an account's
// from the region it acts in, a bucket's from the region it lives in, the state directory's
// from the region it was opened for.

func (a *Account) partition() arn.Partition { return arn.PartitionOf(a.id.Region) }

func (c *Cloud) partition() arn.Partition { return arn.PartitionOf(c.defaultRegion) }

func (b *bucketRow) partition() arn.Partition { return arn.PartitionOf(b.region) }
