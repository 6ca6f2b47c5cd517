package pipeline

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits of action attributes (CodePipeline API model).
const (
	MaxProviderLength     = 35
	MaxVersionLength      = 9
	MaxConfigKeyLength    = 50
	MaxConfigValueLength  = 1000
	MinApprovalTimeout    = 5     // minutes
	MaxApprovalTimeout    = 86400 // minutes (60 days)
	templateArtifactSplit = "::"  // CloudFormation "ArtifactName::path/in/artifact"
)

// knownActionType returns the table entry of a's type, or false when the type is not fully
// known yet or not in the table (action-type reports the latter).
func knownActionType(a *Action) (*ActionType, bool) {
	if !IsKnown(a.Category) || !IsKnown(a.Owner) || !IsKnown(a.Provider) {
		return nil, false
	}
	return LookupActionType(a.Type())
}

// isActionType reports whether a is of type category/owner/provider.
func isActionType(a *Action, category, owner, provider string) bool {
	return a.Category == category && a.Owner == owner && a.Provider == provider
}

// Action provider and version are names in the sense of name-format (rules_names.go): a
// pattern and a length, checked and reported by the same nameKind checker.
var (
	nameProvider = nameKind{"provider", "_-", MaxProviderLength}
	nameVersion  = nameKind{"version", "_-", MaxVersionLength}
)

// nameKindAccepts reports whether s is a known, valid name of kind k.
func nameKindAccepts(k nameKind, s string) bool {
	n := utf8.RuneCountInString(s)
	return IsKnown(s) && n >= 1 && n <= k.max && k.badChars(s) == ""
}

// lengthProblem says how s falls outside 1 to max characters, or "" when it does not.
func lengthProblem(s string, max int) string {
	if n := utf8.RuneCountInString(s); n == 0 || n > max {
		return "is " + strconv.Itoa(n) + " characters long; it must be 1 to " + strconv.Itoa(max)
	}
	return ""
}

// quotedList renders values as a quoted, comma-separated list for messages.
func quotedList(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, ", ")
}

var _ = register(&Rule{
	ID: "config-required", Severity: SeverityError, Where: AtPlan | AtApply,
	Title: "Action Configuration Is Missing Required Keys",
	Doc:   "An action of a known type has every configuration key its type requires, each with a non-empty value.",
	Check: func(p *Pass) {
		eachActionOf(p, func(ref ActionRef, a *Action) {
			at, ok := knownActionType(a)
			if !ok || a.IsUnknown("configuration") {
				return
			}
			conditional := 0
			required := slices.Clone(at.Required)
			if at.RequiredWhen != nil {
				more := at.RequiredWhen(a.Configuration)
				conditional = len(more)
				required = append(required, more...)
			}
			seen := make(map[string]bool, len(required))
			for k, key := range required {
				if seen[key] {
					continue
				}
				seen[key] = true
				v, present := a.Configuration[key]
				if present && v != "" { // an unknown value will be set: present
					continue
				}
				why := "every " + at.ID.String() + " action needs it"
				if k >= len(required)-conditional {
					why = at.ID.String() + " needs it with this configuration"
				}
				state := "has no configuration key"
				if present {
					state = "has an empty value for configuration key"
				}
				p.Reportf(ref.Path().Attr("configuration"),
					"Set configuration[\""+key+"\"] to a non-empty value.",
					"Action %q %s %q; %s.", a.Name, state, key, why)
			}
		})
	},
})

var _ = register(&Rule{
	ID: "config-size", Severity: SeverityError, Where: AtPlan | AtApply,
	Title: "Action Configuration Entry Is Too Long Or Empty",
	Doc:   "Action configuration keys are 1 to 50 characters and values 1 to 1000 characters.",
	Check: func(p *Pass) {
		eachActionOf(p, func(ref ActionRef, a *Action) {
			if a.IsUnknown("configuration") {
				return
			}
			// Sorted so that findings come in a stable order.
			keys := make([]string, 0, len(a.Configuration))
			for k := range a.Configuration {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				path := func() Path { return ref.Path().Attr("configuration").Key(k) } // built only for a report
				if IsKnown(k) {
					if prob := lengthProblem(k, MaxConfigKeyLength); prob != "" {
						p.Reportf(path(), "Use the configuration key name the action type documents.",
							"Configuration key %q of action %q %s.", k, a.Name, prob)
					}
				}
				if v := a.Configuration[k]; IsKnown(v) {
					if prob := lengthProblem(v, MaxConfigValueLength); prob != "" {
						p.Reportf(path(), "Give the key a value of 1 to 1000 characters, or remove it; pass longer data through an artifact or a variable.",
							"The value of configuration key %q of action %q %s.", k, a.Name, prob)
					}
				}
			}
		})
	},
})

var _ = register(&Rule{
	ID: "config-nul", Severity: SeverityError, Where: AtPlan | AtApply,
	Title: "Action Configuration Cannot Contain NUL",
	Doc:   "Action configuration keys and values, and a Commands action's commands, contain no NUL character: a command, a path or a key cut at a NUL is not the one that was written, and a shell drops it silently.",
	Check: func(p *Pass) {
		eachActionOf(p, func(ref ActionRef, a *Action) {
			for i, c := range a.Commands {
				if IsKnown(c) && strings.ContainsRune(c, 0) {
					p.Reportf(ref.Path().Attr("commands").Index(i), "Remove the NUL character (\\u0000) from the command.",
						"Command %d of action %q contains a NUL character.", i+1, a.Name)
				}
			}
			if a.IsUnknown("configuration") {
				return
			}
			keys := make([]string, 0, len(a.Configuration))
			for k := range a.Configuration {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				path := ref.Path().Attr("configuration").Key(k)
				if IsKnown(k) && strings.ContainsRune(k, 0) {
					p.Reportf(path, "Remove the NUL character (\\u0000) from the key.",
						"Configuration key %s of action %q contains a NUL character.", quoteShort(k), a.Name)
				}
				if v := a.Configuration[k]; IsKnown(v) && strings.ContainsRune(v, 0) {
					line := strings.Count(v[:strings.IndexRune(v, 0)], "\n") + 1
					p.Reportf(path, "Remove the NUL character (\\u0000) from the value; pass binary data through an artifact.",
						"The value of configuration key %q of action %q contains a NUL character (line %d).", k, a.Name, line)
				}
			}
		})
	},
})

var _ = register(&Rule{
	ID: "action-type", Severity: SeverityError, Where: AtPlan,
	Title: "Action Type Is Not Valid",
	Doc:   "An action's category and owner are accepted values, its provider and version are well-formed, and an AWS or ThirdParty provider is one known for its category and owner.",
	Check: func(p *Pass) {
		eachActionOf(p, func(ref ActionRef, a *Action) {
			attr := func(name string) func() Path { return func() Path { return ref.Path().Attr(name) } }
			catOK := checkActionEnum(p, attr("category"), a, "category", a.Category, Categories)
			ownerOK := checkActionEnum(p, attr("owner"), a, "owner", a.Owner, Owners)
			nameProvider.check(p, attr("provider"), a.Provider)
			nameVersion.check(p, attr("version"), a.Version)
			provOK := nameKindAccepts(nameProvider, a.Provider)
			// An unknown provider is only worth reporting once its category and owner are valid:
			// otherwise the list of known providers would mislead.
			if !catOK || !ownerOK || !provOK {
				return
			}
			if _, ok := LookupActionType(a.Type()); ok {
				return
			}
			known := ProvidersFor(a.Category, a.Owner)
			if len(known) == 0 {
				p.Reportf(ref.Path().Attr("provider"), "Use owner \"Custom\" for a custom action type, or another category.",
					"Action %q names provider %q, but no %s provider of category %s is known.",
					a.Name, a.Provider, a.Owner, a.Category)
				return
			}
			p.Reportf(ref.Path().Attr("provider"), "Set provider to one of "+quotedList(known)+", or use owner \"Custom\" for a custom action type.",
				"Action %q names provider %q, which is not a known %s provider of category %s; known: %s.",
				a.Name, a.Provider, a.Owner, a.Category, strings.Join(known, ", "))
		})
	},
})

// checkActionEnum reports value at path unless it is one of allowed; it returns whether the
// value is known and valid.
func checkActionEnum(p *Pass, path func() Path, a *Action, attr, value string, allowed []string) bool {
	if !IsKnown(value) {
		return false
	}
	if slices.Contains(allowed, value) {
		return true
	}
	p.Reportf(path(), "Set "+attr+" to one of "+quotedList(allowed)+" (the names are case-sensitive).",
		"Action %q has %s %q, which CodePipeline does not accept.", a.Name, attr, value)
	return false
}

var _ = register(&Rule{
	ID: "action-role-owner", Severity: SeverityError, Where: AtPlan,
	Title: "Only AWS Actions Take A Role",
	Doc:   "An action's role_arn is set only on AWS-owned actions.",
	Check: func(p *Pass) {
		eachActionOf(p, func(ref ActionRef, a *Action) {
			// An unknown role may still turn out null; an invalid owner is action-type's finding.
			if a.RoleARN == "" || !IsKnown(a.RoleARN) || (a.Owner != OwnerThirdParty && a.Owner != OwnerCustom) {
				return
			}
			p.Reportf(ref.Path().Attr("role_arn"), "Remove role_arn from the action; only AWS-owned actions assume a role.",
				"Action %q is owned by %s but sets role_arn %q; CodePipeline assumes action roles only for AWS-owned actions.",
				a.Name, a.Owner, a.RoleARN)
		})
	},
})

var _ = register(&Rule{
	ID: "source-same-region", Severity: SeverityError, Where: AtPlan,
	Title: "Action Cannot Run In Another Region",
	Doc:   "Source actions and ThirdParty or Custom actions run in the pipeline's own region.",
	Check: func(p *Pass) {
		home := p.Facts.Region
		// Without the pipeline's region there is nothing to compare with: the region attribute
		// alone does not say whether it differs.
		if home == "" || !IsKnown(home) {
			return
		}
		eachActionOf(p, func(ref ActionRef, a *Action) {
			if a.Region == "" || !IsKnown(a.Region) || a.Region == home {
				return
			}
			var kind string
			switch {
			case a.Category == CategorySource:
				kind = "a Source action"
			case a.Owner == OwnerThirdParty || a.Owner == OwnerCustom:
				kind = "a " + a.Owner + "-owned action"
			default:
				return
			}
			p.Reportf(ref.Path().Attr("region"), "Remove region from the action, or set it to "+strconv.Quote(home)+".",
				"Action %q is %s and sets region %q, but the pipeline is in %q; such actions cannot be cross-region.",
				a.Name, kind, a.Region, home)
		})
	},
})

var _ = register(&Rule{
	ID: "timeout-approval-only", Severity: SeverityError, Where: AtPlan,
	Title: "Action Timeout Only On Manual Approvals",
	Doc:   "timeout_in_minutes is set only on Approval/Manual actions, to 5 to 86400 minutes.",
	Check: func(p *Pass) {
		eachActionOf(p, func(ref ActionRef, a *Action) {
			t := a.TimeoutInMinutes
			if t == 0 || t == UnknownInt || !IsKnown(a.Category) || !IsKnown(a.Owner) || !IsKnown(a.Provider) {
				return
			}
			path := func() Path { return ref.Path().Attr("timeout_in_minutes") } // built only for a report
			if !isActionType(a, CategoryApproval, OwnerAWS, "Manual") {
				p.Reportf(path(), "Remove timeout_in_minutes; other action types use their type's default timeout.",
					"Action %q (%s) sets timeout_in_minutes = %d, which only Approval/AWS/Manual actions accept.",
					a.Name, a.Type(), t)
				return
			}
			if t < MinApprovalTimeout || t > MaxApprovalTimeout {
				p.Reportf(path(), "Set timeout_in_minutes between 5 and 86400 (60 days), or remove it for the default of 7 days.",
					"Approval action %q sets timeout_in_minutes = %d, outside 5 to 86400.", a.Name, t)
			}
		})
	},
})

var _ = register(&Rule{
	ID: "namespace-unique", Severity: SeverityError, Where: AtPlan,
	Title: "Action Namespaces Must Be Unique",
	Doc:   "Each action namespace is declared by one action only in the whole pipeline.",
	Check: func(p *Pass) {
		eachActionOf(p, func(ref ActionRef, a *Action) {
			if a.Namespace == "" || !IsKnown(a.Namespace) {
				return
			}
			decl := p.Index.Namespaces[a.Namespace]
			if len(decl) == 0 || decl[0] == ref {
				return
			}
			first := decl[0]
			p.Reportf(ref.Path().Attr("namespace"), "Give the action a namespace no other action uses, and update the #{Namespace.Variable} references to it.",
				"Action %q declares namespace %q, already declared by action %q at %s.",
				a.Name, a.Namespace, p.Pipeline.Stages[first.Stage].Actions[first.Action].Name, first.Path())
		})
	},
})

var _ = register(&Rule{
	ID: "primary-source", Severity: SeverityError, Where: AtPlan | AtApply,
	Title: "Action Must Name One Of Its Input Artifacts",
	Doc:   "A CodeBuild action with several inputs names one of them as PrimarySource, and a CloudFormation template given as Artifact::path names one of the action's inputs.",
	Check: func(p *Pass) {
		eachActionOf(p, func(ref ActionRef, a *Action) {
			if a.IsUnknown("configuration") || a.IsUnknown("input_artifacts") {
				return
			}
			switch {
			case a.Provider == "CodeBuild" && a.Owner == OwnerAWS && (a.Category == CategoryBuild || a.Category == CategoryTest):
				checkPrimarySource(p, ref.Path, a)
			case isActionType(a, CategoryDeploy, OwnerAWS, "CloudFormation"):
				for _, key := range []string{"TemplatePath", "TemplateConfiguration"} {
					checkTemplateArtifact(p, ref.Path, a, key)
				}
			}
		})
	},
})

// inputsAllKnown reports whether every input artifact name of a is known, so that "not among
// the inputs" can be decided.
func inputsAllKnown(a *Action) bool {
	for _, in := range a.InputArtifacts {
		if !IsKnown(in) {
			return false
		}
	}
	return true
}

// checkPrimarySource: CodeBuild needs to know which of several inputs is the source directory.
func checkPrimarySource(p *Pass, path func() Path, a *Action) {
	if len(a.InputArtifacts) < 2 {
		return
	}
	v, ok := a.Configuration["PrimarySource"]
	if !IsKnown(v) {
		return
	}
	fix := "Set configuration[\"PrimarySource\"] to one of " + quotedList(a.InputArtifacts) + "."
	if !ok || v == "" {
		p.Reportf(path().Attr("configuration"), fix,
			"CodeBuild action %q has %d input artifacts (%s) but no PrimarySource naming the one CodeBuild builds from.",
			a.Name, len(a.InputArtifacts), quotedList(a.InputArtifacts))
		return
	}
	if inputsAllKnown(a) && !slices.Contains(a.InputArtifacts, v) {
		p.Reportf(path().Attr("configuration").Key("PrimarySource"), fix,
			"CodeBuild action %q names PrimarySource %q, which is not one of its input artifacts (%s).",
			a.Name, v, quotedList(a.InputArtifacts))
	}
}

// checkTemplateArtifact: CloudFormation reads "Artifact::file" from the named input artifact,
// so the artifact must be one the action takes in.
func checkTemplateArtifact(p *Pass, path func() Path, a *Action, key string) {
	v := a.Configuration[key]
	if !IsKnown(v) || !inputsAllKnown(a) {
		return
	}
	artifact, _, found := strings.Cut(v, templateArtifactSplit)
	if !found || slices.Contains(a.InputArtifacts, artifact) {
		return
	}
	inputs := "it has no input artifacts"
	if len(a.InputArtifacts) > 0 {
		inputs = "its input artifacts are " + quotedList(a.InputArtifacts)
	}
	p.Reportf(path().Attr("configuration").Key(key),
		"Add \""+artifact+"\" to the action's input_artifacts, or name one of its inputs before \"::\".",
		"CloudFormation action %q reads %s %q from artifact %q, but %s.", a.Name, key, v, artifact, inputs)
}
