package pipeline

import (
	"strings"
)

// isCodeBuild reports whether a is a CodeBuild build or test action.
func isCodeBuild(a *Action) bool {
	return a.Owner == OwnerAWS && a.Provider == "CodeBuild" && (a.Category == CategoryBuild || a.Category == CategoryTest)
}

var _ = register(&Rule{
	ID: "codebuild-batch", Severity: SeverityError, Where: AtPlan | AtApply,
	Title: "CodeBuild Batch Settings Do Not Fit Together",
	Doc: "A CodeBuild action's BatchEnabled and CombineArtifacts are \"true\" or \"false\"; CombineArtifacts needs " +
		"BatchEnabled, and a batch that combines its builds' artifacts has at most one output artifact.",
	Check: func(p *Pass) {
		eachActionOf(p, func(ref ActionRef, a *Action) {
			if !isCodeBuild(a) || a.IsUnknown("configuration") {
				return
			}
			cfg := func() Path { return ref.Path().Attr("configuration") }
			flags := map[string]bool{}
			for _, key := range []string{"BatchEnabled", "CombineArtifacts"} {
				v, set := a.Configuration[key]
				if !set || !IsKnown(v) {
					continue
				}
				switch strings.ToLower(v) {
				case "true":
					flags[key] = true
				case "false":
				default:
					p.Reportf(cfg().Key(key), "Set "+key+" to \"true\" or \"false\".",
						"CodeBuild action %q sets %s to %q, which is neither \"true\" nor \"false\".", a.Name, key, v)
				}
			}
			if !flags["CombineArtifacts"] {
				return
			}
			if batch := a.Configuration["BatchEnabled"]; !flags["BatchEnabled"] && IsKnown(batch) {
				p.Reportf(cfg().Key("CombineArtifacts"), "Set BatchEnabled = \"true\", or remove CombineArtifacts.",
					"CodeBuild action %q combines the artifacts of a batch build (CombineArtifacts) without running one: BatchEnabled is not \"true\".", a.Name)
			}
			if !a.IsUnknown("output_artifacts") && len(a.OutputArtifacts) > 1 {
				p.Reportf(ref.Path().Attr("output_artifacts"), "Keep one output artifact, or set CombineArtifacts = \"false\" and name each output after a build (BUILD, or BUILD_ARTIFACT for a secondary artifact).",
					"CodeBuild action %q combines its batch builds' artifacts into one (CombineArtifacts) but declares %d output artifacts (%s).",
					a.Name, len(a.OutputArtifacts), quotedList(a.OutputArtifacts))
			}
		})
	},
})
