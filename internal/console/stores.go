package console

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strings"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// The artifact stores and keys page: the buckets the account's pipelines pass artifacts
// through, with their object versions and policy, and the keys that encrypt them, with their
// policy — each with the findings of the rules that judge them. Only what belongs to the
// account is shown: a store or key of another account that a pipeline names is listed by
// name, with nothing read from it.

// ruleSubjects says which rules judge a bucket and which a key, for where the page shows
// their findings. A rule not listed here judges neither and is left to the plan.
var ruleSubjects = map[string]string{
	"store-versioning": "bucket", "store-region": "bucket", "xacct-cmk-required": "bucket", "xacct-bucket-policy": "bucket",
	"xacct-key-by-arn": "key", "xacct-key-policy": "key", "xacct-role-decrypt": "key", "key-rotation": "key",
}

// maxVersionsShown bounds the object versions listed per bucket (newest first).
const maxVersionsShown = 100

type storesPage struct {
	page
	Account accountRef
	Buckets []*bucketView
	Keys    []*keyView
	Foreign []string // stores and keys named by the account's pipelines that are another account's
}

type bucketView struct {
	backend.Bucket
	KeyLabel string
	Policy   string
	Versions []versionView
	More     int
	UsedBy   []string
	Findings []findingView
}

type versionView struct {
	Key, VersionID, Modified string
	Size                     int64
	Latest, DeleteMarker     bool
}

type keyView struct {
	backend.Key
	Policy   string
	UsedBy   []string
	Findings []findingView
}

type findingView struct {
	Rule, RuleURL, Severity, Title, Pipeline, Path, Message, Fix string
}

func (s *Server) storesPage(w http.ResponseWriter, r *http.Request, ac *accountCtx) {
	data, err := s.stores(r.Context(), ac)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	data.page = s.newPage(r, "Artifact stores and keys of "+ac.id.AccountID, ac, nil)
	data.Crumbs = append(data.Crumbs, crumb{"Artifact stores and keys", accountURL(ac.id.AccountID, ac.id.Region) + "stores"})
	s.render(w, r, http.StatusOK, "stores.html", data)
}

func (s *Server) stores(ctx context.Context, ac *accountCtx) (*storesPage, error) {
	data := &storesPage{Account: ac.id}
	recs, err := ac.acct.ListPipelines(ctx)
	if err != nil {
		return nil, err
	}
	buckets := map[string]*bucketView{}
	keys := map[string]*keyView{}
	foreign := map[string]bool{}
	seen := map[string]bool{}
	addFinding := func(list *[]findingView, f pipeline.Finding, pipelineName string) {
		k := f.Rule + "\x00" + pipelineName + "\x00" + f.Message
		if seen[k] {
			return
		}
		seen[k] = true
		*list = append(*list, findingView{Rule: f.Rule, RuleURL: ruleURL(f.Rule), Severity: f.Severity.String(), Title: f.Title,
			Pipeline: pipelineName, Path: f.Path.String(), Message: f.Message, Fix: f.Fix})
	}
	for _, rec := range recs {
		facts, err := ac.acct.Facts(ctx, rec.Definition)
		if err != nil {
			return nil, err
		}
		var mine []*bucketView
		var myKeys []*keyView
		for _, ref := range rec.Definition.ArtifactStores {
			b, err := s.bucket(ctx, ac, ref.Location, buckets)
			if err != nil {
				return nil, err
			}
			if b == nil {
				foreign["bucket "+ref.Location] = true
				continue
			}
			b.UsedBy = appendOnce(b.UsedBy, rec.Name)
			mine = append(mine, b)
			// The key artifacts are sealed with: the store block's, else the bucket's default.
			keyID := b.EncryptionKeyARN
			if ref.EncryptionKey != nil && ref.EncryptionKey.ID != "" {
				keyID = ref.EncryptionKey.ID
			}
			k, err := s.key(ctx, ac, keyID, keys)
			if err != nil {
				return nil, err
			}
			if k == nil {
				foreign["key "+keyID] = true
				continue
			}
			b.KeyLabel = keyLabel(k)
			k.UsedBy = appendOnce(k.UsedBy, rec.Name)
			myKeys = append(myKeys, k)
			if st := facts.Stores[ref.Location]; st != nil {
				for _, f := range pipeline.ValidateWith(pipeline.Input{Store: st, Facts: facts}, pipeline.Options{At: pipeline.AtRun}) {
					if ruleSubjects[f.Rule] == "bucket" {
						addFinding(&b.Findings, f, "")
					}
				}
			}
			if kf := facts.Keys[k.ARN]; kf != nil {
				for _, f := range pipeline.ValidateWith(pipeline.Input{Key: kf, Facts: facts}, pipeline.Options{}) {
					if ruleSubjects[f.Rule] == "key" {
						addFinding(&k.Findings, f, "")
					}
				}
			}
		}
		for _, f := range pipeline.ValidateWith(pipeline.Input{Pipeline: rec.Definition, Facts: facts}, pipeline.Options{At: pipeline.AtRun}) {
			switch ruleSubjects[f.Rule] {
			case "bucket":
				for _, b := range mine {
					addFinding(&b.Findings, f, rec.Name)
				}
			case "key":
				for _, k := range myKeys {
					addFinding(&k.Findings, f, rec.Name)
				}
			}
		}
	}
	for _, b := range buckets {
		if b != nil {
			data.Buckets = append(data.Buckets, b)
		}
	}
	listed := map[*keyView]bool{}
	for _, k := range keys { // a key can be in the map under its alias and its ARN
		if k != nil && !listed[k] {
			listed[k] = true
			data.Keys = append(data.Keys, k)
		}
	}
	sort.Slice(data.Buckets, func(i, j int) bool { return data.Buckets[i].Name < data.Buckets[j].Name })
	sort.Slice(data.Keys, func(i, j int) bool { return data.Keys[i].ARN < data.Keys[j].ARN })
	for f := range foreign {
		data.Foreign = append(data.Foreign, f)
	}
	sort.Strings(data.Foreign)
	return data, nil
}

// bucket reads a bucket of the account (nil when it is another account's or missing).
func (s *Server) bucket(ctx context.Context, ac *accountCtx, name string, cache map[string]*bucketView) (*bucketView, error) {
	if b, ok := cache[name]; ok {
		return b, nil
	}
	b, err := ac.acct.GetBucket(ctx, name)
	if errors.Is(err, backend.ErrNotFound) || err == nil && b.AccountID != ac.id.AccountID {
		cache[name] = nil
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	v := &bucketView{Bucket: *b, Policy: prettyJSON(b.Policy)}
	versions, err := ac.acct.ListObjectVersions(ctx, "", name, "")
	if err != nil && !errors.Is(err, backend.ErrAccessDenied) {
		return nil, err
	}
	sort.SliceStable(versions, func(i, j int) bool { return versions[i].LastModified.After(versions[j].LastModified) })
	if len(versions) > maxVersionsShown {
		v.More = len(versions) - maxVersionsShown
		versions = versions[:maxVersionsShown]
	}
	for _, o := range versions {
		v.Versions = append(v.Versions, versionView{Key: o.Key, VersionID: o.VersionID, Modified: when(o.LastModified),
			Size: o.Size, Latest: o.IsLatest, DeleteMarker: o.DeleteMarker})
	}
	cache[name] = v
	return v, nil
}

// key reads the key a bucket encrypts with ("" = the account's AWS-managed aws/s3 key); nil
// when it is another account's.
func (s *Server) key(ctx context.Context, ac *accountCtx, id string, cache map[string]*keyView) (*keyView, error) {
	if id == "" {
		id = "alias/aws/s3"
	}
	if k, ok := cache[id]; ok {
		return k, nil
	}
	if acct := pipeline.AccountOfARN(id); acct != "" && acct != ac.id.AccountID {
		cache[id] = nil
		return nil, nil
	}
	k, err := ac.acct.GetKey(ctx, id)
	if errors.Is(err, backend.ErrNotFound) || err == nil && k.AccountID != ac.id.AccountID {
		cache[id] = nil
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if v, ok := cache[k.ARN]; ok && v != nil { // the same key by another name
		cache[id] = v
		return v, nil
	}
	v := &keyView{Key: *k, Policy: prettyJSON(k.Policy)}
	cache[id], cache[k.ARN] = v, v
	return v, nil
}

func keyLabel(k *keyView) string {
	label := k.KeyID
	if len(k.Aliases) > 0 {
		label = strings.Join(k.Aliases, ", ") + " (" + k.KeyID + ")"
	}
	if !k.CustomerManaged {
		label += ", AWS-managed"
	}
	return label
}

func appendOnce(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// prettyJSON indents a policy document for reading; text that is not JSON is shown as it is.
func prettyJSON(doc string) string {
	if doc == "" {
		return ""
	}
	var out bytes.Buffer
	if err := json.Indent(&out, []byte(doc), "", "  "); err != nil {
		return doc
	}
	return out.String()
}
