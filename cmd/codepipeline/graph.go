package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/codepipelinejson"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline/graph"
)

func init() {
	commands["graph"] = command{summary: "draw a pipeline as SVG or Graphviz DOT (the console's picture, offline)", run: runGraph}
}

const graphUsage = `Usage: codepipeline graph [flags] PIPELINE
       codepipeline graph [flags] -definition FILE

Draws a pipeline as the console does: stages left to right, each stage's action groups
(run_order) top to bottom, parallel actions side by side, artifacts as edges from the action
producing them to those consuming them, the artifact store and its key, and the role of each
action acting in another account. The pipeline is read from the state directory (as -account
in -region), or from a CodePipeline JSON definition (what ` + "`aws codepipeline get-pipeline`" + ` prints).

Flags:
`

func runGraph(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("graph", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cf := addCloudFlags(fs)
	format := fs.String("format", "svg", "svg or dot")
	out := fs.String("o", "", "write to this file instead of standard output")
	definition := fs.String("definition", "", "draw the pipeline of this CodePipeline JSON file instead of one of the state directory")
	fs.Usage = func() { fmt.Fprint(stderr, graphUsage); fs.PrintDefaults() }
	pos, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return exitUsage
	}
	if *format != "svg" && *format != "dot" {
		fmt.Fprintf(stderr, "codepipeline graph: -format %q: want svg or dot\n", *format)
		return exitUsage
	}
	if (*definition == "") == (len(pos) != 1) || len(pos) > 1 {
		fs.Usage()
		return exitUsage
	}
	var p *pipeline.Pipeline
	if *definition != "" {
		p, err = readDefinition(*definition)
	} else {
		p, err = storedPipeline(cf, pos[0])
	}
	if err != nil {
		fmt.Fprintln(stderr, "codepipeline graph:", err)
		return exitFindings
	}
	var buf bytes.Buffer
	d := graph.Layout(p)
	if *format == "svg" {
		err = d.SVG(&buf, graph.SVGOptions{Standalone: true})
	} else {
		err = d.DOT(&buf)
	}
	if err == nil && *out != "" {
		err = os.WriteFile(*out, buf.Bytes(), 0o644)
	} else if err == nil {
		_, err = stdout.Write(buf.Bytes())
	}
	if err != nil {
		fmt.Fprintln(stderr, "codepipeline graph:", err)
		return exitFindings
	}
	return exitOK
}

func storedPipeline(cf cloudFlags, name string) (*pipeline.Pipeline, error) {
	b, err := cf.openBackend()
	if err != nil {
		return nil, err
	}
	defer b.Close()
	rec, err := b.GetPipeline(context.Background(), name)
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
