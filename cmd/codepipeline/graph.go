package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/codepipelinejson"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline/graph"
)

func init() { register("", newGraphCmd) }

func newGraphCmd(c *cli) *cobra.Command {
	var format, out, definition string
	cmd := &cobra.Command{
		Use:     "graph [PIPELINE]",
		Short:   "Draw a pipeline as SVG or Graphviz DOT (the console's picture, offline)",
		GroupID: groupRuns,
		Long: `Draws a pipeline as the console does: stages left to right, each stage's action groups
(run_order) top to bottom, parallel actions side by side, artifacts as edges from the action
producing them to those consuming them, the artifact store and its key, the role of each
action acting in another account, and a marker on each stage with conditions. The pipeline is
read from the state directory (as -account in -region), or from a CodePipeline JSON definition
(what aws codepipeline get-pipeline prints) with -definition.`,
		Example: `  codepipeline graph quickstart > quickstart.svg
  codepipeline graph -format dot quickstart | dot -Tpng > quickstart.png
  codepipeline graph -definition pipeline.json -o pipeline.svg`,
	}
	cf := c.addCloudFlags(cmd, true)
	fs := cmd.Flags()
	fs.StringVar(&format, "format", "svg", "svg or dot")
	fs.StringVarP(&out, "output", "o", "", "write to this `FILE` instead of standard output")
	fs.StringVar(&definition, "definition", "", "draw the pipeline of this CodePipeline JSON `FILE` instead of one of the state directory")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"svg", "dot"}, cobra.ShellCompDirectiveNoFileComp))
	cmd.ValidArgsFunction = func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return completeRunArgs(cf)(cmd, args, toComplete)
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if format != "svg" && format != "dot" {
			return usagef(cmd, "-format %q: want svg or dot", format)
		}
		if (definition == "") != (len(args) == 1) {
			return usagef(cmd, "name a PIPELINE of the state directory or a -definition FILE, one of the two")
		}
		var p *pipeline.Pipeline
		var err error
		if definition != "" {
			p, err = readDefinition(definition)
		} else {
			p, err = storedPipeline(cmd.Context(), cf, args[0])
		}
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		d := graph.Layout(p)
		if format == "svg" {
			err = d.SVG(&buf, graph.SVGOptions{Standalone: true})
		} else {
			err = d.DOT(&buf)
		}
		if err != nil {
			return err
		}
		if out != "" {
			return os.WriteFile(out, buf.Bytes(), 0o644)
		}
		_, err = c.stdout.Write(buf.Bytes())
		return err
	}
	return cmd
}

func storedPipeline(ctx context.Context, cf *cloudFlags, name string) (*pipeline.Pipeline, error) {
	s, err := cf.openPipeline(ctx, name, openOptions{})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	rec, err := s.b.GetPipeline(ctx, name)
	if err != nil {
		return nil, err
	}
	return rec.Definition, nil
}

// readDefinition reads a CodePipeline JSON definition: a pipeline declaration, or the
// {"pipeline": …} object that get-pipeline prints.
func readDefinition(path string) (*pipeline.Pipeline, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var wrapped struct {
		Pipeline *codepipelinejson.PipelineDeclaration `json:"pipeline"`
	}
	if err := json.Unmarshal(b, &wrapped); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	decl := wrapped.Pipeline
	if decl == nil {
		decl = &codepipelinejson.PipelineDeclaration{}
		if err := json.Unmarshal(b, decl); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	p, err := decl.ToDomain()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}
