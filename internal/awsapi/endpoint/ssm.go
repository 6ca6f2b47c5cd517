package endpoint

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/arn"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/awsapi/wire"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/backend"
)

// Systems Manager Parameter Store (JSON 1.1, AmazonSSM): the parameters builds read through
// env.parameter-store, over backend.Secrets.

func registerSSM(e *Endpoint) {
	for op, h := range map[string]awsapi.Handler{
		"PutParameter":    awsapi.Handle(e.putParameter),
		"GetParameter":    awsapi.Handle(e.getParameter),
		"GetParameters":   awsapi.Handle(e.getParameters),
		"DeleteParameter": awsapi.Handle(e.deleteParameter),
	} {
		e.Register("ssm", op, h)
	}
}

// secrets is the request account's parameter and secret store.
func (e *Endpoint) secrets(req *awsapi.Request) (backend.Secrets, error) {
	s, err := backend.SecretsOf(e.account(req))
	if err != nil {
		return nil, wire.UnknownOperation(req.Service, req.Operation)
	}
	return s, nil
}

// ssmError answers a backend error in Systems Manager's words.
func (e *Endpoint) ssmError(req *awsapi.Request, err error) error {
	if errors.Is(err, backend.ErrAlreadyExists) {
		return wire.NewError(400, "ParameterAlreadyExists", "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.")
	}
	return e.serviceError(req, err, func(nf *backend.NotFound) *wire.Error {
		return wire.NewError(400, "ParameterNotFound", "")
	})
}

type putParameterInput struct {
	Name, Value, Type, Description string
	Overwrite                      bool
}

type putParameterOutput struct {
	Version int64
	Tier    string
}

func (e *Endpoint) putParameter(ctx context.Context, req *awsapi.Request, in *putParameterInput) (*putParameterOutput, error) {
	switch {
	case in.Name == "":
		return nil, wire.MissingParameter(req.Service, "name")
	case in.Value == "":
		return nil, wire.MissingParameter(req.Service, "value")
	}
	s, err := e.secrets(req)
	if err != nil {
		return nil, err
	}
	if err := e.authorize(ctx, req, "ssm:PutParameter", arn.Parameter(req.Region, req.Principal.Account, in.Name)); err != nil {
		return nil, err
	}
	typ := in.Type
	if typ == "" { // an overwrite keeps the type; a new parameter needs one
		old, err := s.GetParameter(ctx, in.Name)
		if err != nil {
			return nil, wire.Validation(req.Service, "A parameter type is required when you create a parameter.")
		}
		typ = old.Type
	}
	p, err := s.PutParameter(ctx, &backend.Parameter{Name: in.Name, Type: typ, Value: in.Value, Description: in.Description}, in.Overwrite)
	if err != nil {
		return nil, e.ssmError(req, err)
	}
	return &putParameterOutput{Version: p.Version, Tier: "Standard"}, nil
}

type parameterNameInput struct {
	Name           string
	WithDecryption bool
}

type ssmParameter struct {
	Name             string
	Type             string
	Value            string
	Version          int64
	LastModifiedDate *wire.EpochSeconds
	ARN              string
	DataType         string
}

type getParameterOutput struct {
	Parameter ssmParameter
}

// parameterOf is a parameter as SSM answers it: a SecureString's value only with decryption
// (otherwise an opaque ciphertext, as SSM returns the encrypted blob).
func parameterOf(p *backend.Parameter, decrypt bool) ssmParameter {
	value := p.Value
	if p.Type == backend.ParameterSecureString && !decrypt {
		b := make([]byte, 64+len(p.Value))
		_, _ = rand.Read(b)
		value = base64.StdEncoding.EncodeToString(b)
	}
	return ssmParameter{Name: p.Name, Type: p.Type, Value: value, Version: p.Version, LastModifiedDate: epochOf(p.LastModified), ARN: p.ARN, DataType: "text"}
}

func (e *Endpoint) readParameter(ctx context.Context, req *awsapi.Request, s backend.Secrets, ref string) (*backend.Parameter, error) {
	p, err := s.GetParameter(ctx, ref)
	if err != nil {
		return nil, err
	}
	if err := e.authorize(ctx, req, "ssm:GetParameter", p.ARN); err != nil {
		return nil, err
	}
	return p, nil
}

func (e *Endpoint) getParameter(ctx context.Context, req *awsapi.Request, in *parameterNameInput) (*getParameterOutput, error) {
	if in.Name == "" {
		return nil, wire.MissingParameter(req.Service, "name")
	}
	s, err := e.secrets(req)
	if err != nil {
		return nil, err
	}
	p, err := e.readParameter(ctx, req, s, in.Name)
	if err != nil {
		return nil, e.ssmError(req, err)
	}
	return &getParameterOutput{Parameter: parameterOf(p, in.WithDecryption)}, nil
}

type getParametersInput struct {
	Names          []string
	WithDecryption bool
}

type getParametersOutput struct {
	Parameters        []ssmParameter
	InvalidParameters []string
}

func (e *Endpoint) getParameters(ctx context.Context, req *awsapi.Request, in *getParametersInput) (*getParametersOutput, error) {
	if len(in.Names) == 0 || len(in.Names) > 10 {
		return nil, wire.Validation(req.Service, "1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length between 1 and 10")
	}
	s, err := e.secrets(req)
	if err != nil {
		return nil, err
	}
	out := &getParametersOutput{Parameters: []ssmParameter{}, InvalidParameters: []string{}}
	for _, name := range in.Names {
		p, err := e.readParameter(ctx, req, s, name)
		switch {
		case errors.Is(err, backend.ErrNotFound):
			out.InvalidParameters = append(out.InvalidParameters, name)
		case err != nil:
			return nil, e.ssmError(req, err)
		default:
			out.Parameters = append(out.Parameters, parameterOf(p, in.WithDecryption))
		}
	}
	return out, nil
}

func (e *Endpoint) deleteParameter(ctx context.Context, req *awsapi.Request, in *parameterNameInput) (*struct{}, error) {
	if in.Name == "" {
		return nil, wire.MissingParameter(req.Service, "name")
	}
	s, err := e.secrets(req)
	if err != nil {
		return nil, err
	}
	if err := e.authorize(ctx, req, "ssm:DeleteParameter", arn.Parameter(req.Region, req.Principal.Account, in.Name)); err != nil {
		return nil, err
	}
	if err := s.DeleteParameter(ctx, in.Name); err != nil {
		return nil, e.ssmError(req, err)
	}
	return &struct{}{}, nil
}
