package pipeline

import (
	"fmt"
	"strconv"
	"strings"
)

// Commands actions, as the CodePipeline API declares them: the shell commands in the action's
// `commands` list and the variables they export in `output_variables`, both only on Commands
// actions. Earlier versions of this provider took the commands from a configuration key,
// Commands, one command per line: the local backend still runs that, and a warning shows the
// replacement, because CodePipeline itself rejects the key.

// CommandsConfigKey is the deprecated configuration key of a Commands action's commands.
const CommandsConfigKey = "Commands"

// isCommandsAction reports whether a is a Commands action (Compute/AWS/Commands, or the
// Build/AWS/Commands this provider has accepted so far).
func isCommandsAction(a *Action) bool {
	return a.Owner == OwnerAWS && a.Provider == "Commands" && (a.Category == CategoryCompute || a.Category == CategoryBuild)
}

// ActionCommands returns the shell commands a Commands action runs: its commands list, else
// the lines of the deprecated configuration key.
func ActionCommands(a *Action) []string {
	if len(a.Commands) > 0 {
		return a.Commands
	}
	return SplitCommandLines(a.Configuration[CommandsConfigKey])
}

// SplitCommandLines splits the deprecated Commands configuration value into its commands: one
// per non-blank line.
func SplitCommandLines(s string) []string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(strings.TrimSuffix(line, "\r")); line != "" {
			out = append(out, line)
		}
	}
	return out
}

var _ = register(&Rule{
	ID: "commands-action", Severity: SeverityError, Where: AtPlan | AtApply,
	Title: "Commands Action Is Not Valid",
	Doc: "A Commands action has commands (1 to 50 single-line commands of 1 to 1000 characters) and at most 15 unique output_variables of 1 to 128 characters; " +
		"no other action type has commands or output_variables.",
	Check: func(p *Pass) {
		eachActionOf(p, func(ref ActionRef, a *Action) {
			path := ref.Path // built only for a report
			if !IsKnown(a.Category) || !IsKnown(a.Owner) || !IsKnown(a.Provider) {
				return
			}
			what := fmt.Sprintf("action %q", a.Name)
			if !isCommandsAction(a) {
				if len(a.Commands) > 0 {
					p.Reportf(path().Attr("commands"), "Remove commands, or make the action a Compute/AWS/Commands action.",
						"Action %q is a %s action; only Commands actions take commands.", a.Name, a.Type())
				}
				if len(a.OutputVariables) > 0 {
					p.Reportf(path().Attr("output_variables"), "Remove output_variables: the action type itself says which variables it produces.",
						"Action %q is a %s action; only Commands actions take output_variables.", a.Name, a.Type())
				}
				return
			}
			_, legacy := a.Configuration[CommandsConfigKey]
			switch {
			case a.IsUnknown("commands") || a.IsUnknown("configuration"):
			case len(a.Commands) > 0 && legacy:
				p.Reportf(path().Attr("configuration").Key(CommandsConfigKey), fmt.Sprintf("Remove configuration[%q]: the commands list replaces it.", CommandsConfigKey),
					"Action %q has both commands and configuration[%q]; it would be unclear which of them runs.", a.Name, CommandsConfigKey)
			case len(a.Commands) == 0 && !legacy:
				p.Reportf(path().Attr("commands"), `Add commands = ["..."]: the shell commands the action runs, one per element.`,
					"Action %q is a Commands action without commands.", a.Name)
			case len(a.Commands) > 0:
				checkCommandList(p, path().Attr("commands"), what, a.Commands)
			}
			if a.IsUnknown("output_variables") || a.OutputVariables == nil {
				return
			}
			ov := path().Attr("output_variables")
			if n := len(a.OutputVariables); n == 0 || n > MaxOutputVariables {
				p.Reportf(ov, fmt.Sprintf("List 1 to %d variable names, or leave output_variables unset.", MaxOutputVariables),
					"Action %q lists %d output variables; CodePipeline accepts 1 to %d.", a.Name, n, MaxOutputVariables)
			}
			first := map[string]int{}
			for n, v := range a.OutputVariables {
				if !IsKnown(v) {
					continue
				}
				if prob := lengthProblem(v, MaxOutputVariableLength); prob != "" {
					p.Reportf(ov.Index(n), "Name an environment variable the commands set.", "Output variable %d of action %q %s.", n, a.Name, prob)
				}
				if prev, dup := first[v]; dup {
					p.Reportf(ov.Index(n), "Remove the repeated name.", "Output variable %q of action %q is already listed as %d.", v, a.Name, prev)
					continue
				}
				first[v] = n
			}
		})
	},
})

var _ = register(&Rule{
	ID: "commands-in-configuration", Severity: SeverityWarning, Where: AtPlan,
	Title: "Commands In Configuration Are Deprecated",
	Doc:   "A Commands action gives its commands in the commands list, not in configuration[\"Commands\"]: the local backend still runs the key, CodePipeline rejects it.",
	Check: func(p *Pass) {
		eachActionOf(p, func(ref ActionRef, a *Action) {
			if !isCommandsAction(a) || a.IsUnknown("configuration") || len(a.Commands) > 0 {
				return
			}
			v, ok := a.Configuration[CommandsConfigKey]
			if !ok {
				return
			}
			fix := "Replace the key by the commands list."
			if IsKnown(v) {
				fix = "Replace the key by:\n\n  commands = " + hclList(SplitCommandLines(v))
			}
			p.Reportf(ref.Path().Attr("configuration").Key(CommandsConfigKey), fix,
				"Action %q gives its commands in configuration[%q], a key of earlier versions of this provider: the local backend still runs it, but CodePipeline rejects it, and the key is going away.",
				a.Name, CommandsConfigKey)
		})
	},
})

// hclList renders strings as an HCL list literal.
func hclList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
