package endpoint

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/wire"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/codepipelinejson"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// CodePipeline (JSON 1.1, CodePipeline_20150709): pipelines and their tags (this file);
// executions, their state, approvals and action executions (codepipeline_runs.go). Pipeline
// declarations go through internal/codepipelinejson both ways, so every field the domain
// holds round-trips, and one it does not hold yet is refused by its path.

func registerCodePipeline(e *Endpoint) {
	for op, h := range map[string]awsapi.Handler{
		"CreatePipeline":         awsapi.Handle(e.createPipeline),
		"GetPipeline":            awsapi.Handle(e.getPipeline),
		"UpdatePipeline":         awsapi.Handle(e.updatePipeline),
		"DeletePipeline":         awsapi.Handle(e.deletePipeline),
		"ListPipelines":          awsapi.Handle(e.listPipelines),
		"TagResource":            awsapi.Handle(e.tagPipeline),
		"UntagResource":          awsapi.Handle(e.untagPipeline),
		"ListTagsForResource":    awsapi.Handle(e.listTagsForResource),
		"StartPipelineExecution": awsapi.Handle(e.startPipelineExecution),
		"GetPipelineExecution":   awsapi.Handle(e.getPipelineExecution),
		"ListPipelineExecutions": awsapi.Handle(e.listPipelineExecutions),
		"StopPipelineExecution":  awsapi.Handle(e.stopPipelineExecution),
		"RetryStageExecution":    awsapi.Handle(e.retryStageExecution),
		"GetPipelineState":       awsapi.Handle(e.getPipelineState),
		"PutApprovalResult":      awsapi.Handle(e.putApprovalResult),
		"ListActionExecutions":   awsapi.Handle(e.listActionExecutions),
	} {
		e.Register("codepipeline", op, h)
	}
}

// cpError answers a backend error in CodePipeline's words.
func (e *Endpoint) cpError(req *awsapi.Request, err error) error {
	switch {
	case errors.Is(err, backend.ErrInvalid):
		return wire.NewError(400, "ValidationException", "%s", err.Error())
	case errors.Is(err, backend.ErrConflict):
		return wire.NewError(409, "ConflictException", "%s", err.Error())
	}
	return e.serviceError(req, err, func(nf *backend.NotFound) *wire.Error {
		switch nf.Kind {
		case backend.KindPipeline:
			name := nf.Name[strings.LastIndex(nf.Name, ":")+1:]
			return wire.NewError(400, "PipelineNotFoundException", "Account '%s' does not have a pipeline with name '%s'", req.Principal.Account, name)
		case backend.KindExecution:
			return wire.NewError(400, "PipelineExecutionNotFoundException", "Pipeline execution %s is not found", nf.Name)
		case backend.KindAction:
			return wire.NewError(400, "ActionNotFoundException", "Action %s is not found", nf.Name)
		}
		return nil
	})
}

func pipelineARN(req *awsapi.Request, name string) string {
	return arn.Pipeline(req.Region, req.Principal.Account, name)
}

// pipelineRecord finds a pipeline of the signer's account and region and decides action on it.
func (e *Endpoint) pipelineRecord(ctx context.Context, req *awsapi.Request, name, action string) (*backend.PipelineRecord, error) {
	if name == "" {
		return nil, wire.MissingParameter(req.Service, "name")
	}
	if err := e.authorize(ctx, req, action, pipelineARN(req, name)); err != nil {
		return nil, err
	}
	rec, err := e.account(req).GetPipeline(ctx, name)
	if err != nil {
		return nil, e.cpError(req, err)
	}
	return rec, nil
}

// structureRules are the rules of the catalogue CodePipeline itself enforces when a pipeline
// is created or updated (InvalidStructureException and its kin); the others (policies,
// cross-account plumbing, versioning) are this project's plan-time checks, which AWS leaves to
// the run.
var structureRules = []string{
	"name-format", "stage-count", "stage-unique", "stage-actions", "action-unique", "first-stage-source",
	"source-first-only", "needs-non-source", "run-order", "artifact-unique", "artifact-produced-before",
	"artifact-count", "action-type", "action-role-owner", "source-same-region", "config-required", "config-size",
	"timeout-approval-only", "namespace-unique", "store-region", "v2-only", "variables", "trigger-source", "trigger-filters",
}

// declared turns a declaration into the domain pipeline CodePipeline would store: the API's
// defaults applied (V1, SUPERSEDED), the structure checked.
func declared(req *awsapi.Request, d codepipelinejson.PipelineDeclaration) (*pipeline.Pipeline, error) {
	if d.Name == "" {
		return nil, wire.MissingParameter(req.Service, "pipeline.name")
	}
	if d.RoleArn == "" {
		return nil, wire.MissingParameter(req.Service, "pipeline.roleArn")
	}
	if d.PipelineType == "" {
		d.PipelineType = pipeline.PipelineTypeV1 // the API's default (the provider's is V2)
	}
	if d.ExecutionMode == "" {
		d.ExecutionMode = pipeline.ExecutionModeSuperseded
	}
	p, err := d.ToDomain()
	if err != nil {
		return nil, wire.NewError(400, "InvalidStructureException", "%s", err.Error())
	}
	var problems []string
	for _, f := range pipeline.ValidateWith(pipeline.Input{Pipeline: p}, pipeline.Options{Only: structureRules}) {
		if f.Severity == pipeline.SeverityError {
			problems = append(problems, fmt.Sprintf("[%s] %s: %s", f.Rule, f.Path, f.Message))
		}
	}
	if len(problems) > 0 {
		return nil, wire.NewError(400, "InvalidStructureException", "%s", strings.Join(problems, "; "))
	}
	return p, nil
}

// passRole checks iam:PassRole on the pipeline's role for a caller other than the account
// root, as CreatePipeline and UpdatePipeline do.
func (e *Endpoint) passRole(ctx context.Context, req *awsapi.Request, roleARN string) error {
	return e.authorize(ctx, req, "iam:PassRole", roleARN)
}

// declarationOf is the declaration GetPipeline returns for a record: with its version, and
// each action's run order as CodePipeline fills it in (1 when unset).
func declarationOf(rec *backend.PipelineRecord) (codepipelinejson.PipelineDeclaration, error) {
	d, err := codepipelinejson.FromDomain(rec.Definition)
	if err != nil {
		return d, err
	}
	d.Version = rec.Version
	for i := range d.Stages {
		for j := range d.Stages[i].Actions {
			if d.Stages[i].Actions[j].RunOrder == 0 {
				d.Stages[i].Actions[j].RunOrder = 1
			}
		}
	}
	return d, nil
}

type createPipelineInput struct {
	Pipeline codepipelinejson.PipelineDeclaration `json:"pipeline"`
	Tags     []codepipelinejson.Tag               `json:"tags"`
}

type createPipelineOutput struct {
	Pipeline codepipelinejson.PipelineDeclaration `json:"pipeline"`
	Tags     []codepipelinejson.Tag               `json:"tags,omitempty"`
}

func (e *Endpoint) createPipeline(ctx context.Context, req *awsapi.Request, in *createPipelineInput) (*createPipelineOutput, error) {
	p, err := declared(req, in.Pipeline)
	if err != nil {
		return nil, err
	}
	if p.Tags, err = codepipelinejson.TagsToMap(in.Tags); err != nil {
		return nil, wire.NewError(400, "InvalidTagsException", "%s", err.Error())
	}
	if err := e.authorize(ctx, req, "codepipeline:CreatePipeline", pipelineARN(req, p.Name)); err != nil {
		return nil, err
	}
	if err := e.passRole(ctx, req, p.RoleARN); err != nil {
		return nil, err
	}
	acct := e.account(req)
	rec, err := acct.CreatePipeline(ctx, p)
	if errors.Is(err, backend.ErrAlreadyExists) {
		return nil, wire.NewError(400, "PipelineNameInUseException", "A pipeline with the name '%s' already exists in account '%s'", p.Name, req.Principal.Account)
	}
	if err != nil {
		return nil, e.cpError(req, err)
	}
	d, err := declarationOf(rec)
	if err != nil {
		return nil, err
	}
	// CodePipeline runs a new pipeline once, as soon as it is created.
	if _, err := e.start(ctx, acct, backend.RunRequest{Pipeline: rec.Name, Trigger: triggerCreate, TriggerDetail: req.Principal.ARN}); err != nil {
		e.cfg.Logf("endpoint: the first run of pipeline %s did not start: %v", rec.ARN, err)
	}
	return &createPipelineOutput{Pipeline: d, Tags: codepipelinejson.TagsFromMap(rec.Definition.Tags)}, nil
}

// triggerCreate is CodePipeline's trigger type of the run a new pipeline starts with.
const triggerCreate = "CreatePipeline"

type getPipelineInput struct {
	Name    string `json:"name"`
	Version int    `json:"version"`
}

func (e *Endpoint) getPipeline(ctx context.Context, req *awsapi.Request, in *getPipelineInput) (*codepipelinejson.GetPipelineOutput, error) {
	rec, err := e.pipelineRecord(ctx, req, in.Name, "codepipeline:GetPipeline")
	if err != nil {
		return nil, err
	}
	if in.Version != 0 && in.Version != rec.Version {
		return nil, wire.NewError(400, "PipelineVersionNotFoundException", "Pipeline %s version %d is not found: the local cloud keeps the current version (%d) only", in.Name, in.Version, rec.Version)
	}
	d, err := declarationOf(rec)
	if err != nil {
		return nil, err
	}
	created, updated := codepipelinejson.Timestamp(rec.Created), codepipelinejson.Timestamp(rec.Updated)
	return &codepipelinejson.GetPipelineOutput{Pipeline: d, Metadata: &codepipelinejson.PipelineMetadata{
		PipelineArn: rec.ARN, Created: &created, Updated: &updated,
	}}, nil
}

type updatePipelineInput struct {
	Pipeline codepipelinejson.PipelineDeclaration `json:"pipeline"`
}

type updatePipelineOutput struct {
	Pipeline codepipelinejson.PipelineDeclaration `json:"pipeline"`
}

func (e *Endpoint) updatePipeline(ctx context.Context, req *awsapi.Request, in *updatePipelineInput) (*updatePipelineOutput, error) {
	p, err := declared(req, in.Pipeline)
	if err != nil {
		return nil, err
	}
	current, err := e.pipelineRecord(ctx, req, p.Name, "codepipeline:UpdatePipeline")
	if err != nil {
		return nil, err
	}
	if err := e.passRole(ctx, req, p.RoleARN); err != nil {
		return nil, err
	}
	p.Tags = current.Definition.Tags // tags are not part of the declaration
	rec, err := e.account(req).UpdatePipeline(ctx, p)
	if err != nil {
		return nil, e.cpError(req, err)
	}
	d, err := declarationOf(rec)
	if err != nil {
		return nil, err
	}
	return &updatePipelineOutput{Pipeline: d}, nil
}

func (e *Endpoint) deletePipeline(ctx context.Context, req *awsapi.Request, in *getPipelineInput) (*struct{}, error) {
	if in.Name == "" {
		return nil, wire.MissingParameter(req.Service, "name")
	}
	if err := e.authorize(ctx, req, "codepipeline:DeletePipeline", pipelineARN(req, in.Name)); err != nil {
		return nil, err
	}
	// Deleting a pipeline that is not there succeeds, as in CodePipeline.
	if err := e.account(req).DeletePipeline(ctx, in.Name); err != nil && !errors.Is(err, backend.ErrNotFound) {
		return nil, e.cpError(req, err)
	}
	return nil, nil
}

type listPipelinesInput struct {
	NextToken  string `json:"nextToken"`
	MaxResults int    `json:"maxResults"`
}

type pipelineSummary struct {
	Name          string                      `json:"name"`
	Version       int                         `json:"version"`
	PipelineType  string                      `json:"pipelineType"`
	ExecutionMode string                      `json:"executionMode"`
	Created       *codepipelinejson.Timestamp `json:"created,omitempty"`
	Updated       *codepipelinejson.Timestamp `json:"updated,omitempty"`
}

type listPipelinesOutput struct {
	Pipelines []pipelineSummary `json:"pipelines"`
	NextToken string            `json:"nextToken,omitempty"`
}

func (e *Endpoint) listPipelines(ctx context.Context, req *awsapi.Request, in *listPipelinesInput) (*listPipelinesOutput, error) {
	if err := e.authorize(ctx, req, "codepipeline:ListPipelines", "*"); err != nil {
		return nil, err
	}
	recs, err := e.account(req).ListPipelines(ctx)
	if err != nil {
		return nil, e.cpError(req, err)
	}
	from, to, next, err := cpPage(req, in.NextToken, in.MaxResults, 1000, len(recs))
	if err != nil {
		return nil, err
	}
	out := &listPipelinesOutput{Pipelines: []pipelineSummary{}, NextToken: next}
	for _, r := range recs[from:to] {
		created, updated := codepipelinejson.Timestamp(r.Created), codepipelinejson.Timestamp(r.Updated)
		out.Pipelines = append(out.Pipelines, pipelineSummary{Name: r.Name, Version: r.Version, PipelineType: r.Definition.Type(),
			ExecutionMode: r.Definition.Mode(), Created: &created, Updated: &updated})
	}
	return out, nil
}

// cpPage is the page of n items after a nextToken (at most maxResults, default def).
func cpPage(req *awsapi.Request, token string, maxResults, def, n int) (from, to int, next string, err error) {
	if maxResults == 0 {
		maxResults = def
	}
	from, to, next, err = pageOf(req, pageInput{Limit: min(maxResults, 1000), Marker: token}, n)
	if err != nil {
		return 0, 0, "", wire.NewError(400, "InvalidNextTokenException", "The next token was specified in an invalid format. Make sure that the next token you provide is the token returned by a previous call.")
	}
	return from, to, next, nil
}

// ---- tags ----

type tagResourceCPInput struct {
	ResourceArn string                 `json:"resourceArn"`
	Tags        []codepipelinejson.Tag `json:"tags"`
	TagKeys     []string               `json:"tagKeys"`
	NextToken   string                 `json:"nextToken"`
	MaxResults  int                    `json:"maxResults"`
}

// taggedPipeline finds the pipeline a resource ARN names, in the signer's account and region.
func (e *Endpoint) taggedPipeline(ctx context.Context, req *awsapi.Request, resourceARN, action string) (*backend.PipelineRecord, error) {
	if resourceARN == "" {
		return nil, wire.MissingParameter(req.Service, "resourceArn")
	}
	a, err := arn.Parse(resourceARN)
	if err != nil || a.Service != "codepipeline" {
		return nil, wire.NewError(400, "InvalidArnException", "The ARN %s is not valid", resourceARN)
	}
	notFound := wire.NewError(400, "ResourceNotFoundException", "The resource with the ARN %s cannot be found.", resourceARN)
	if a.AccountID != req.Principal.Account || a.Region != req.Region || strings.HasPrefix(a.Resource, "webhook:") {
		return nil, notFound
	}
	if err := e.authorize(ctx, req, action, resourceARN); err != nil {
		return nil, err
	}
	rec, err := e.account(req).GetPipeline(ctx, a.Resource)
	if errors.Is(err, backend.ErrNotFound) {
		return nil, notFound
	}
	if err != nil {
		return nil, e.cpError(req, err)
	}
	return rec, nil
}

func (e *Endpoint) tagPipeline(ctx context.Context, req *awsapi.Request, in *tagResourceCPInput) (*struct{}, error) {
	rec, err := e.taggedPipeline(ctx, req, in.ResourceArn, "codepipeline:TagResource")
	if err != nil {
		return nil, err
	}
	add, err := codepipelinejson.TagsToMap(in.Tags)
	if err != nil {
		return nil, wire.NewError(400, "InvalidTagsException", "%s", err.Error())
	}
	tags := map[string]string{}
	for k, v := range rec.Definition.Tags {
		tags[k] = v
	}
	for k, v := range add {
		tags[k] = v
	}
	if _, err := e.account(req).SetPipelineTags(ctx, rec.Name, tags); err != nil {
		if errors.Is(err, backend.ErrInvalid) {
			return nil, wire.NewError(400, "TooManyTagsException", "%s", err.Error())
		}
		return nil, e.cpError(req, err)
	}
	return nil, nil
}

func (e *Endpoint) untagPipeline(ctx context.Context, req *awsapi.Request, in *tagResourceCPInput) (*struct{}, error) {
	rec, err := e.taggedPipeline(ctx, req, in.ResourceArn, "codepipeline:UntagResource")
	if err != nil {
		return nil, err
	}
	tags := map[string]string{}
	for k, v := range rec.Definition.Tags {
		tags[k] = v
	}
	for _, k := range in.TagKeys {
		delete(tags, k)
	}
	if _, err := e.account(req).SetPipelineTags(ctx, rec.Name, tags); err != nil {
		return nil, e.cpError(req, err)
	}
	return nil, nil
}

type listTagsForResourceOutput struct {
	Tags      []codepipelinejson.Tag `json:"tags"`
	NextToken string                 `json:"nextToken,omitempty"`
}

func (e *Endpoint) listTagsForResource(ctx context.Context, req *awsapi.Request, in *tagResourceCPInput) (*listTagsForResourceOutput, error) {
	rec, err := e.taggedPipeline(ctx, req, in.ResourceArn, "codepipeline:ListTagsForResource")
	if err != nil {
		return nil, err
	}
	tags := codepipelinejson.TagsFromMap(rec.Definition.Tags)
	from, to, next, err := cpPage(req, in.NextToken, in.MaxResults, 50, len(tags))
	if err != nil {
		return nil, err
	}
	return &listTagsForResourceOutput{Tags: append([]codepipelinejson.Tag{}, tags[from:to]...), NextToken: next}, nil
}
