package check

import (
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
)

// SARIF 2.1.0 output (OASIS Static Analysis Results Interchange Format), the format code
// scanning UIs read to show findings inline. Only the parts this tool fills are modelled.

const (
	sarifVersion = "2.1.0"
	sarifSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
	toolName     = "codepipeline-check"
	toolInfoURI  = "https://registry.terraform.io/providers/pipelinekit/codepipeline/latest/docs/guides/policy-checks"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations,omitempty"`
	Results     []sarifResult     `json:"results"`
}

// sarifInvocation carries the notices, as tool execution notifications: what the run did not
// check is about the run, not a result about the code.
type sarifInvocation struct {
	ExecutionSuccessful bool                `json:"executionSuccessful"`
	Notifications       []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Descriptor sarifDescriptorRef `json:"descriptor"`
	Level      string             `json:"level"`
	Message    sarifMessage       `json:"message"`
	Locations  []sarifLocation    `json:"locations,omitempty"`
}

type sarifDescriptorRef struct {
	ID string `json:"id"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     sarifMessage   `json:"shortDescription"`
	FullDescription      sarifMessage   `json:"fullDescription"`
	DefaultConfiguration sarifRuleLevel `json:"defaultConfiguration"`
}

type sarifRuleLevel struct {
	Level string `json:"level"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID       string             `json:"ruleId"`
	RuleIndex    int                `json:"ruleIndex"`
	Level        string             `json:"level"`
	Message      sarifMessage       `json:"message"`
	Locations    []sarifLocation    `json:"locations"`
	Suppressions []sarifSuppression `json:"suppressions,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysical `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

type sarifLogical struct {
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

type sarifSuppression struct {
	Kind          string         `json:"kind"`
	Justification string         `json:"justification,omitempty"`
	Location      *sarifLocation `json:"location,omitempty"`
}

// WriteSARIF writes the report as a SARIF 2.1.0 log with one run. Suppressed findings are
// results with an inSource suppression, as SARIF intends, so that UIs list them as dismissed.
func WriteSARIF(w io.Writer, rep *Report, toolVersion string) error {
	driver := sarifDriver{Name: toolName, Version: toolVersion, InformationURI: toolInfoURI, Rules: []sarifRule{}}
	index := map[string]int{}
	for i, r := range rep.Rules {
		index[r.ID] = i
		driver.Rules = append(driver.Rules, sarifRule{
			ID: r.ID, Name: strings.ReplaceAll(r.Title, " ", ""),
			ShortDescription:     sarifMessage{r.Title},
			FullDescription:      sarifMessage{r.Doc},
			DefaultConfiguration: sarifRuleLevel{sarifLevel(r.Severity.String())},
		})
	}
	run := sarifRun{Tool: sarifTool{Driver: driver}, Results: []sarifResult{}}
	add := func(f Result) {
		text := f.Message
		if f.Fix != "" {
			text += "\n\nFix: " + f.Fix
		}
		res := sarifResult{
			RuleID: f.Rule, RuleIndex: index[f.Rule], Level: sarifLevel(f.Severity),
			Message: sarifMessage{text}, Locations: []sarifLocation{sarifLocationOf(rep, f)},
		}
		if f.SuppressedBy != nil {
			loc := sarifLocation{PhysicalLocation: &sarifPhysical{
				ArtifactLocation: sarifArtifact{URI: sarifURI(f.SuppressedBy.File)},
				Region:           &sarifRegion{StartLine: f.SuppressedBy.Line},
			}}
			res.Suppressions = []sarifSuppression{{Kind: "inSource", Justification: "codepipeline:ignore=" + f.Rule, Location: &loc}}
		}
		run.Results = append(run.Results, res)
	}
	for _, f := range rep.Findings {
		add(f)
	}
	for _, f := range rep.Suppressed {
		add(f)
	}
	if len(rep.Notices) > 0 {
		inv := sarifInvocation{ExecutionSuccessful: true}
		for _, n := range rep.Notices {
			level := "note"
			if n.Kind == NoticeNothingChecked {
				level = "warning"
			}
			note := sarifNotification{Descriptor: sarifDescriptorRef{n.Kind}, Level: level, Message: sarifMessage{n.Message}}
			if n.Pos != nil {
				note.Locations = []sarifLocation{{PhysicalLocation: &sarifPhysical{
					ArtifactLocation: sarifArtifact{URI: sarifURI(n.Pos.File)},
					Region:           &sarifRegion{StartLine: n.Pos.Line, StartColumn: n.Pos.Column},
				}}}
			}
			inv.Notifications = append(inv.Notifications, note)
		}
		run.Invocations = []sarifInvocation{inv}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(sarifLog{Schema: sarifSchema, Version: sarifVersion, Runs: []sarifRun{run}})
}

func sarifLevel(sev string) string {
	if sev == "warning" {
		return "warning"
	}
	return "error"
}

// sarifLocationOf places a finding: in its .tf file at the attribute's line, or, for a plan,
// in the plan file; the resource address and attribute path are the logical location either
// way, which is what a reviewer reads.
func sarifLocationOf(rep *Report, f Result) sarifLocation {
	name := f.Resource
	if f.Path != "" {
		name += "." + f.Path
	}
	loc := sarifLocation{LogicalLocations: []sarifLogical{{FullyQualifiedName: name, Kind: "resource"}}}
	switch {
	case f.Pos != nil:
		loc.PhysicalLocation = &sarifPhysical{
			ArtifactLocation: sarifArtifact{URI: sarifURI(f.Pos.File)},
			Region:           &sarifRegion{StartLine: f.Pos.Line, StartColumn: f.Pos.Column},
		}
	case rep.Input != "" && rep.Input != "stdin":
		loc.PhysicalLocation = &sarifPhysical{ArtifactLocation: sarifArtifact{URI: sarifURI(rep.Input)}}
	}
	return loc
}

// sarifURI is a relative URI reference with forward slashes, as code scanning expects.
func sarifURI(path string) string { return filepath.ToSlash(filepath.Clean(path)) }
