package provider

import (
	"context"
	"sync/atomic"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-mux/tf6muxserver"
)

// NewServer returns the provider's protocol server: the framework provider, which serves the
// provider configuration, every data source and every resource but codepipeline_pipeline, and
// pipelineServer, which serves codepipeline_pipeline at the protocol level, combined by
// tf6muxserver. The framework provider's Configure hands its backend to pipelineServer. A
// resource that a profile shows to be worth it moves to the protocol level the same way: its
// server beside pipelineServer here, its framework constructor out of Resources.
func NewServer(ctx context.Context, version string, opts ...Option) (tfprotov6.ProviderServer, error) {
	ps, err := pipelineProtocolSchema()
	if err != nil {
		return nil, err
	}
	configured := &atomic.Pointer[providerData]{}
	framework := New(version, append(opts, func(p *codepipelineProvider) { p.configured = configured })...)
	mux, err := tf6muxserver.NewMuxServer(ctx,
		providerserver.NewProtocol6(framework()),
		func() tfprotov6.ProviderServer { return &pipelineServer{schema: ps, configured: configured} },
	)
	if err != nil {
		return nil, err
	}
	return mux.ProviderServer(), nil
}
