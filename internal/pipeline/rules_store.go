package pipeline

import (
	"fmt"
	"regexp"
	"strings"
)

// storePath is the path of artifact_store block i.
func storePath(i int) Path { return Root("artifact_store").Index(i) }

// storeKeyPath is the path of the key id of artifact_store block i.
func storeKeyPath(i int) Path { return storePath(i).Attr("encryption_key").Index(0).Attr("id") }

// storeBlocks finds the artifact_store block an action's artifacts go through: the block in
// the action's region (an action without region runs in the pipeline's region), or the only
// block when there is one.
type storeBlocks struct {
	n              int
	byRegion       map[string]int // known, non-empty regions; the first block wins
	pipelineRegion string         // "" when not known
}

func newStoreBlocks(pl *Pipeline, facts Facts) storeBlocks {
	sb := storeBlocks{n: len(pl.ArtifactStores), byRegion: map[string]int{}}
	if IsKnown(facts.Region) {
		sb.pipelineRegion = facts.Region
	}
	for i, s := range pl.ArtifactStores {
		if s.Region != "" && IsKnown(s.Region) {
			if _, dup := sb.byRegion[s.Region]; !dup {
				sb.byRegion[s.Region] = i
			}
		}
	}
	return sb
}

// forAction returns the index of a's store block, or false when it cannot be told.
func (sb storeBlocks) forAction(a *Action) (int, bool) {
	switch sb.n {
	case 0:
		return 0, false
	case 1:
		return 0, true
	}
	region := a.Region
	if region == "" {
		region = sb.pipelineRegion
	}
	if region == "" || !IsKnown(region) {
		return 0, false
	}
	i, ok := sb.byRegion[region]
	return i, ok
}

// storeKeyID returns the key id of block s when it names a known key.
func storeKeyID(s *ArtifactStoreRef) (string, bool) {
	if s.EncryptionKey == nil || s.EncryptionKey.ID == "" || !IsKnown(s.EncryptionKey.ID) {
		return "", false
	}
	return s.EncryptionKey.ID, true
}

// keyARNPattern matches a KMS key ARN (single- or multi-region key), in any partition.
var keyARNPattern = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$`)

// isAWSManagedS3Key reports whether id names the AWS-managed S3 key, by alias or alias ARN.
func isAWSManagedS3Key(id string) bool {
	return id == "alias/aws/s3" || (strings.HasPrefix(id, "arn:") && strings.HasSuffix(id, ":alias/aws/s3"))
}

// keyRefKind says how id names a key, for messages.
func keyRefKind(id string) string {
	switch {
	case keyARNPattern.MatchString(id):
		return "a key ARN"
	case strings.HasPrefix(id, "alias/"):
		return "an alias name"
	case strings.HasPrefix(id, "arn:") && strings.Contains(id, ":alias/"):
		return "an alias ARN"
	case strings.HasPrefix(id, "arn:"):
		return "an ARN that is not a key ARN"
	}
	return "a bare key id"
}

// knownKey returns the facts about key id, nil when there are none.
func knownKey(facts Facts, id string) *Key { return facts.Keys[id] }

var _ = register(&Rule{
	ID: "store-versioning", Severity: SeverityError, Where: AtPlan | AtRun,
	Title: "Artifact Store Must Be Versioned",
	Doc:   "The artifact store has versioning enabled (this project's policy: AWS only requires it for S3 source buckets).",
	Check: func(p *Pass) {
		const why = "this project requires versioning on every artifact store, so that each run's artifacts stay addressable and nothing is overwritten (AWS itself only requires it for S3 source buckets)"
		if s := p.Store; s != nil && !s.Versioning {
			p.Reportf(Root("versioning"), "Set versioning = true.",
				"Artifact store %q has versioning disabled; %s.", s.Bucket, why)
		}
		if p.Pipeline == nil {
			return
		}
		for i, ref := range p.Pipeline.ArtifactStores {
			if !IsKnown(ref.Location) {
				continue
			}
			if s := p.Facts.Stores[ref.Location]; s != nil && !s.Versioning {
				p.Reportf(storePath(i).Attr("location"),
					"Enable versioning on the bucket (codepipeline_artifact_store versioning = true), or point artifact_store at a versioned bucket.",
					"Bucket %q of artifact_store[%d] is not versioned; %s.", ref.Location, i, why)
			}
		}
	},
})

var _ = register(&Rule{
	ID: "store-region", Severity: SeverityError, Where: AtPlan,
	Needs: PartArtifactStores,
	Title: "One Artifact Store Per Region",
	Doc:   "A pipeline has one artifact store per region it uses: one store alone names no region, several stores each name a distinct region, and every action region has a store.",
	Check: func(p *Pass) {
		pl := p.Pipeline
		if pl == nil {
			return
		}
		stores := pl.ArtifactStores
		switch {
		case len(stores) == 0:
			p.Report(Root("artifact_store"), "The pipeline has no artifact_store block; CodePipeline needs a bucket to pass artifacts through.",
				"Add an artifact_store block naming the artifact bucket (for example the bucket of a codepipeline_artifact_store).")
			return
		case len(stores) == 1:
			if r := stores[0].Region; r != "" && IsKnown(r) {
				p.Reportf(storePath(0).Attr("region"),
					"Remove region from the single artifact_store, or add one artifact_store per region when actions run in other regions.",
					"The only artifact_store names region %q; a single store is always in the pipeline's region and must not name one (region is for cross-region pipelines, with one store per region).", r)
			}
		default:
			checkStoreRegionsDistinct(p, stores)
		}
		checkActionRegionsHaveStores(p, pl, stores)
	},
})

// checkStoreRegionsDistinct requires each of several store blocks to name a distinct region.
func checkStoreRegionsDistinct(p *Pass, stores []ArtifactStoreRef) {
	first := map[string]int{}
	for i, s := range stores {
		switch {
		case s.Region == "":
			p.Reportf(storePath(i).Attr("region"), "Set region on every artifact_store block.",
				"artifact_store[%d] names no region; with %d artifact stores, each must name the region it serves.", i, len(stores))
		case !IsKnown(s.Region):
		default:
			if prev, dup := first[s.Region]; dup {
				p.Reportf(storePath(i).Attr("region"), "Keep one artifact_store per region: remove this one or change its region.",
					"artifact_store[%d] names region %q, already served by artifact_store[%d].", i, s.Region, prev)
				continue
			}
			first[s.Region] = i
		}
	}
}

// checkActionRegionsHaveStores requires a store for the pipeline's region and for each action
// region. A single store serves the pipeline's region.
func checkActionRegionsHaveStores(p *Pass, pl *Pipeline, stores []ArtifactStoreRef) {
	home := p.Facts.Region
	if !IsKnown(home) {
		home = ""
	}
	have := map[string]bool{}
	if len(stores) == 1 {
		if home == "" {
			return // the single store's region is the pipeline's, which is not known
		}
		have[home] = true
	} else {
		for _, s := range stores {
			if !IsKnown(s.Region) {
				return // cannot tell which regions are served
			}
			if s.Region != "" {
				have[s.Region] = true
			}
		}
		if home != "" && !have[home] {
			p.Reportf(Root("artifact_store"), "Add an artifact_store block with region = \""+home+"\".",
				"No artifact_store is in the pipeline's region %q; a cross-region pipeline needs one there as well as one per action region.", home)
		}
	}
	eachActionOf(p, func(ref ActionRef, a *Action) {
		if a.Region == "" || !IsKnown(a.Region) || have[a.Region] {
			return
		}
		p.Reportf(ref.Path().Attr("region"),
			fmt.Sprintf("Add an artifact_store block with region = %q (and regions on every store), or run the action in a region that has one.", a.Region),
			"Action %q runs in region %q, which has no artifact_store; %s.", a.Name, a.Region, regionsText(stores, home))
	})
}

func regionsText(stores []ArtifactStoreRef, home string) string {
	if len(stores) == 1 {
		return fmt.Sprintf("the only store is in the pipeline's region %q", home)
	}
	var rs []string
	for _, s := range stores {
		if s.Region != "" {
			rs = append(rs, fmt.Sprintf("%q", s.Region))
		}
	}
	return "stores exist for " + strings.Join(rs, ", ")
}

var _ = register(&Rule{
	ID: "key-rotation", Severity: SeverityWarning, Where: AtPlan,
	Title: "Artifact Key Should Rotate",
	Doc:   "A customer-managed key used for artifacts has automatic rotation enabled.",
	Check: func(p *Pass) {
		const why = "automatic rotation replaces the key material yearly at no cost to availability, limiting what one leaked key version exposes"
		if k := p.Key; k != nil && k.CustomerManaged && !k.RotationEnabled {
			p.Reportf(Root("enable_key_rotation"), "Set enable_key_rotation = true.",
				"Key rotation is disabled on this artifact key; %s.", why)
		}
		if p.Pipeline == nil {
			return
		}
		for i := range p.Pipeline.ArtifactStores {
			id, ok := storeKeyID(&p.Pipeline.ArtifactStores[i])
			if !ok {
				continue
			}
			if k := knownKey(p.Facts, id); k != nil && k.CustomerManaged && !k.RotationEnabled {
				p.Reportf(storeKeyPath(i), "Enable rotation on the key (enable_key_rotation = true on codepipeline_cross_account_key).",
					"Key %s of artifact_store[%d] does not rotate; %s.", id, i, why)
			}
		}
	},
})
