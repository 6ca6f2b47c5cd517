package codepipelinejson

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// ErrNotRepresentable is wrapped when a value has no counterpart on the other side of a
// conversion: a field of the API the domain does not hold yet, or a domain value the API
// cannot express. Nothing is dropped silently.
var ErrNotRepresentable = errors.New("not representable")

// fieldError names the field at fault by its JSON path.
func fieldError(path, why string) error {
	return fmt.Errorf("%s: %s: %w", path, why, ErrNotRepresentable)
}

// FromDomain is the declaration of p. Version is left 0 (the backend's to set); UnknownAttrs,
// which only a plan has, is not part of a declaration.
func FromDomain(p *pipeline.Pipeline) (PipelineDeclaration, error) {
	d := PipelineDeclaration{
		Name: p.Name, RoleArn: p.RoleARN, ExecutionMode: p.ExecutionMode, PipelineType: p.PipelineType,
		Stages: make([]StageDeclaration, 0, len(p.Stages)),
	}
	switch {
	case len(p.ArtifactStores) == 1 && p.ArtifactStores[0].Region == "":
		s := storeFromDomain(p.ArtifactStores[0])
		d.ArtifactStore = &s
	case len(p.ArtifactStores) > 0:
		seen := map[string]bool{}
		for i, s := range p.ArtifactStores {
			switch {
			case s.Region == "":
				return PipelineDeclaration{}, fieldError(fmt.Sprintf("artifactStores[%d]", i), "a pipeline with several artifact stores needs a region for each")
			case seen[s.Region]:
				return PipelineDeclaration{}, fieldError(fmt.Sprintf("artifactStores[%d]", i), fmt.Sprintf("region %s has two artifact stores", s.Region))
			}
			seen[s.Region] = true
			d.ArtifactStores = append(d.ArtifactStores, RegionalArtifactStore{Region: s.Region, Store: storeFromDomain(s)})
		}
	}
	for _, st := range p.Stages {
		sd := StageDeclaration{Name: st.Name, Actions: make([]ActionDeclaration, 0, len(st.Actions))}
		if st.BeforeEntry != nil {
			sd.BeforeEntry = &BeforeEntryConditions{Conditions: []Condition{conditionFromDomain(st.BeforeEntry)}}
		}
		if st.OnSuccess != nil {
			sd.OnSuccess = &SuccessConditions{Conditions: []Condition{conditionFromDomain(st.OnSuccess)}}
		}
		if f := st.OnFailure; f != nil {
			sd.OnFailure = &FailureConditions{Result: f.Result}
			if f.RetryConfiguration != nil {
				sd.OnFailure.RetryConfiguration = &RetryConfiguration{RetryMode: f.RetryConfiguration.RetryMode}
			}
			if f.Condition != nil {
				sd.OnFailure.Conditions = []Condition{conditionFromDomain(f.Condition)}
			}
		}
		for _, a := range st.Actions {
			sd.Actions = append(sd.Actions, actionFromDomain(a))
		}
		d.Stages = append(d.Stages, sd)
	}
	for _, v := range p.Variables {
		d.Variables = append(d.Variables, PipelineVariableDeclaration{Name: v.Name, DefaultValue: v.DefaultValue, Description: v.Description})
	}
	for i, t := range p.Triggers {
		td, err := triggerFromDomain(t, fmt.Sprintf("triggers[%d].gitConfiguration", i))
		if err != nil {
			return PipelineDeclaration{}, err
		}
		d.Triggers = append(d.Triggers, td)
	}
	return d, nil
}

func storeFromDomain(s pipeline.ArtifactStoreRef) ArtifactStore {
	out := ArtifactStore{Type: s.Type, Location: s.Location}
	if s.EncryptionKey != nil {
		out.EncryptionKey = &EncryptionKey{ID: s.EncryptionKey.ID, Type: s.EncryptionKey.Type}
	}
	return out
}

// conditionFromDomain is the API's Condition of c.
func conditionFromDomain(c *pipeline.Condition) Condition {
	out := Condition{Result: c.Result}
	for _, r := range c.Rules {
		rd := RuleDeclaration{
			Name:          r.Name,
			RuleTypeID:    RuleTypeID{Category: r.RuleTypeID.Category, Owner: r.RuleTypeID.Owner, Provider: r.RuleTypeID.Provider, Version: r.RuleTypeID.Version},
			Configuration: cloneMap(r.Configuration), Commands: clone(r.Commands),
			RoleArn: r.RoleARN, Region: r.Region, TimeoutInMinutes: r.TimeoutInMinutes,
		}
		for _, n := range r.InputArtifacts {
			rd.InputArtifacts = append(rd.InputArtifacts, InputArtifact{Name: n})
		}
		out.Rules = append(out.Rules, rd)
	}
	return out
}

func actionFromDomain(a pipeline.Action) ActionDeclaration {
	out := ActionDeclaration{
		Name:         a.Name,
		ActionTypeID: ActionTypeID{Category: a.Category, Owner: a.Owner, Provider: a.Provider, Version: a.Version},
		RunOrder:     a.RunOrder, RoleArn: a.RoleARN, Region: a.Region, Namespace: a.Namespace,
		TimeoutInMinutes: a.TimeoutInMinutes,
		Configuration:    cloneMap(a.Configuration),
		Commands:         clone(a.Commands),
		OutputVariables:  clone(a.OutputVariables),
		OutputArtifacts:  make([]OutputArtifact, 0, len(a.OutputArtifacts)),
		InputArtifacts:   make([]InputArtifact, 0, len(a.InputArtifacts)),
	}
	for _, n := range a.OutputArtifacts {
		out.OutputArtifacts = append(out.OutputArtifacts, OutputArtifact{Name: n})
	}
	for _, n := range a.InputArtifacts {
		out.InputArtifacts = append(out.InputArtifacts, InputArtifact{Name: n})
	}
	return out
}

func triggerFromDomain(t pipeline.Trigger, path string) (PipelineTriggerDeclaration, error) {
	out := PipelineTriggerDeclaration{ProviderType: t.ProviderType, GitConfiguration: GitConfiguration{SourceActionName: t.SourceActionName}}
	for i, f := range t.Push {
		if len(f.Events) > 0 {
			return PipelineTriggerDeclaration{}, fieldError(fmt.Sprintf("%s.push[%d]", path, i), "a push filter has no events")
		}
		out.GitConfiguration.Push = append(out.GitConfiguration.Push, GitPushFilter{
			Tags: criteriaFromDomain(f.Tags), Branches: criteriaFromDomain(f.Branches), FilePaths: criteriaFromDomain(f.FilePaths),
		})
	}
	for i, f := range t.PullRequest {
		if f.Tags != nil {
			return PipelineTriggerDeclaration{}, fieldError(fmt.Sprintf("%s.pullRequest[%d]", path, i), "a pull request filter has no tags")
		}
		out.GitConfiguration.PullRequest = append(out.GitConfiguration.PullRequest, GitPullRequestFilter{
			Events: clone(f.Events), Branches: criteriaFromDomain(f.Branches), FilePaths: criteriaFromDomain(f.FilePaths),
		})
	}
	return out, nil
}

func criteriaFromDomain(g *pipeline.GlobFilter) *FilterCriteria {
	if g == nil {
		return nil
	}
	return &FilterCriteria{Includes: clone(g.Includes), Excludes: clone(g.Excludes)}
}

// ToDomain is the domain pipeline of d. A field the domain does not hold (blockers, an
// output artifact's files, an action's environment variables) fails the conversion with its
// path, as does a condition list of another length than the API's one.
func (d PipelineDeclaration) ToDomain() (*pipeline.Pipeline, error) {
	p := &pipeline.Pipeline{Name: d.Name, RoleARN: d.RoleArn, ExecutionMode: d.ExecutionMode, PipelineType: d.PipelineType}
	switch {
	case d.ArtifactStore != nil && d.ArtifactStores != nil:
		return nil, fieldError("artifactStore", "artifactStore and artifactStores are exclusive")
	case d.ArtifactStore != nil:
		p.ArtifactStores = []pipeline.ArtifactStoreRef{storeToDomain(*d.ArtifactStore, "")}
	default:
		for _, e := range d.ArtifactStores {
			p.ArtifactStores = append(p.ArtifactStores, storeToDomain(e.Store, e.Region))
		}
	}
	for i, sd := range d.Stages {
		st, err := stageToDomain(sd, fmt.Sprintf("stages[%d]", i))
		if err != nil {
			return nil, err
		}
		p.Stages = append(p.Stages, st)
	}
	for _, v := range d.Variables {
		p.Variables = append(p.Variables, pipeline.Variable{Name: v.Name, DefaultValue: v.DefaultValue, Description: v.Description})
	}
	for _, t := range d.Triggers {
		p.Triggers = append(p.Triggers, triggerToDomain(t))
	}
	return p, nil
}

func storeToDomain(s ArtifactStore, region string) pipeline.ArtifactStoreRef {
	out := pipeline.ArtifactStoreRef{Location: s.Location, Type: s.Type, Region: region}
	if s.EncryptionKey != nil {
		out.EncryptionKey = &pipeline.EncryptionKey{ID: s.EncryptionKey.ID, Type: s.EncryptionKey.Type}
	}
	return out
}

func stageToDomain(sd StageDeclaration, path string) (pipeline.Stage, error) {
	st := pipeline.Stage{Name: sd.Name}
	if len(sd.Blockers) > 0 {
		return st, fieldError(path+".blockers", "stage blockers are not supported")
	}
	var err error
	if sd.BeforeEntry != nil {
		if st.BeforeEntry, err = oneCondition(sd.BeforeEntry.Conditions, path+".beforeEntry.conditions"); err != nil {
			return st, err
		}
	}
	if sd.OnSuccess != nil {
		if st.OnSuccess, err = oneCondition(sd.OnSuccess.Conditions, path+".onSuccess.conditions"); err != nil {
			return st, err
		}
	}
	if f := sd.OnFailure; f != nil {
		st.OnFailure = &pipeline.FailureConditions{Result: f.Result}
		if f.RetryConfiguration != nil {
			st.OnFailure.RetryConfiguration = &pipeline.RetryConfiguration{RetryMode: f.RetryConfiguration.RetryMode}
		}
		if f.Conditions != nil {
			if st.OnFailure.Condition, err = oneCondition(f.Conditions, path+".onFailure.conditions"); err != nil {
				return st, err
			}
		}
	}
	for j, ad := range sd.Actions {
		a, err := actionToDomain(ad, fmt.Sprintf("%s.actions[%d]", path, j))
		if err != nil {
			return st, err
		}
		st.Actions = append(st.Actions, a)
	}
	return st, nil
}

// oneCondition is the domain condition of a condition list, which the API gives exactly one
// element.
func oneCondition(cs []Condition, path string) (*pipeline.Condition, error) {
	if len(cs) != 1 {
		return nil, fieldError(path, fmt.Sprintf("a condition list has exactly one condition, not %d", len(cs)))
	}
	c := cs[0]
	out := &pipeline.Condition{Result: c.Result}
	for _, rd := range c.Rules {
		r := pipeline.ConditionRule{
			Name:          rd.Name,
			RuleTypeID:    pipeline.RuleTypeID{Category: rd.RuleTypeID.Category, Owner: rd.RuleTypeID.Owner, Provider: rd.RuleTypeID.Provider, Version: rd.RuleTypeID.Version},
			Configuration: cloneMap(rd.Configuration), Commands: clone(rd.Commands),
			RoleARN: rd.RoleArn, Region: rd.Region, TimeoutInMinutes: rd.TimeoutInMinutes,
		}
		for _, in := range rd.InputArtifacts {
			r.InputArtifacts = append(r.InputArtifacts, in.Name)
		}
		out.Rules = append(out.Rules, r)
	}
	return out, nil
}

func actionToDomain(ad ActionDeclaration, path string) (pipeline.Action, error) {
	if len(ad.EnvironmentVariables) > 0 {
		return pipeline.Action{}, fieldError(path+".environmentVariables", "environment variables are not supported yet")
	}
	a := pipeline.Action{
		Name: ad.Name, Category: ad.ActionTypeID.Category, Owner: ad.ActionTypeID.Owner, Provider: ad.ActionTypeID.Provider,
		Version: ad.ActionTypeID.Version, RunOrder: ad.RunOrder, RoleARN: ad.RoleArn, Region: ad.Region,
		Namespace: ad.Namespace, TimeoutInMinutes: ad.TimeoutInMinutes,
		Configuration: cloneMap(ad.Configuration), Commands: clone(ad.Commands), OutputVariables: clone(ad.OutputVariables),
	}
	for k, o := range ad.OutputArtifacts {
		if len(o.Files) > 0 {
			return pipeline.Action{}, fieldError(fmt.Sprintf("%s.outputArtifacts[%d].files", path, k), "output artifact files are not supported yet")
		}
		a.OutputArtifacts = append(a.OutputArtifacts, o.Name)
	}
	for _, in := range ad.InputArtifacts {
		a.InputArtifacts = append(a.InputArtifacts, in.Name)
	}
	return a, nil
}

func triggerToDomain(t PipelineTriggerDeclaration) pipeline.Trigger {
	out := pipeline.Trigger{ProviderType: t.ProviderType, SourceActionName: t.GitConfiguration.SourceActionName}
	for _, f := range t.GitConfiguration.Push {
		out.Push = append(out.Push, pipeline.GitFilter{
			Tags: criteriaToDomain(f.Tags), Branches: criteriaToDomain(f.Branches), FilePaths: criteriaToDomain(f.FilePaths),
		})
	}
	for _, f := range t.GitConfiguration.PullRequest {
		out.PullRequest = append(out.PullRequest, pipeline.GitFilter{
			Events: clone(f.Events), Branches: criteriaToDomain(f.Branches), FilePaths: criteriaToDomain(f.FilePaths),
		})
	}
	return out
}

func criteriaToDomain(c *FilterCriteria) *pipeline.GlobFilter {
	if c == nil {
		return nil
	}
	return &pipeline.GlobFilter{Includes: clone(c.Includes), Excludes: clone(c.Excludes)}
}

// TagsFromMap is the API's tag list of m, sorted by key.
func TagsFromMap(m map[string]string) []Tag {
	if len(m) == 0 {
		return nil
	}
	out := make([]Tag, 0, len(m))
	for k, v := range m {
		out = append(out, Tag{Key: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// TagsToMap is the map of a tag list; a key given twice is an error.
func TagsToMap(tags []Tag) (map[string]string, error) {
	if len(tags) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(tags))
	var dup []string
	for _, t := range tags {
		if _, ok := out[t.Key]; ok {
			dup = append(dup, t.Key)
		}
		out[t.Key] = t.Value
	}
	if len(dup) > 0 {
		return nil, fieldError("tags", "key(s) given twice: "+strings.Join(dup, ", "))
	}
	return out, nil
}

func cloneMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func clone(s []string) []string {
	if s == nil {
		return nil
	}
	return append([]string(nil), s...)
}
