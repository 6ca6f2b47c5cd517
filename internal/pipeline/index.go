package pipeline

// ActionRef locates an action in a pipeline.
type ActionRef struct {
	Stage, Action int
}

// Path returns the action's path.
func (r ActionRef) Path() Path { return ActionPath(r.Stage, r.Action) }

// Index is computed once per validation so that rules that relate actions to each other (who
// produces an artifact, which account an action acts in) stay linear in the number of actions.
type Index struct {
	// PipelineAccount is the account the pipeline lives in ("" when not known).
	PipelineAccount string
	// Producers maps each output artifact name to the actions that declare it, in pipeline order.
	Producers map[string][]ActionRef
	// Namespaces maps each action namespace to the actions that declare it, in pipeline order.
	Namespaces map[string][]ActionRef
	// SourceActions maps the name of each Source action to its reference.
	SourceActions map[string]ActionRef
}

// NewIndex indexes p (which may be nil) with the facts.
func NewIndex(p *Pipeline, facts Facts) *Index {
	ix := &Index{
		Producers:     map[string][]ActionRef{},
		Namespaces:    map[string][]ActionRef{},
		SourceActions: map[string]ActionRef{},
	}
	ix.PipelineAccount = facts.AccountID
	if p == nil {
		return ix
	}
	if ix.PipelineAccount == "" {
		ix.PipelineAccount = AccountOfARN(p.RoleARN)
	}
	for i := range p.Stages {
		for j := range p.Stages[i].Actions {
			a := &p.Stages[i].Actions[j]
			ref := ActionRef{Stage: i, Action: j}
			for _, out := range a.OutputArtifacts {
				if IsKnown(out) {
					ix.Producers[out] = append(ix.Producers[out], ref)
				}
			}
			if a.Namespace != "" && IsKnown(a.Namespace) {
				ix.Namespaces[a.Namespace] = append(ix.Namespaces[a.Namespace], ref)
			}
			if a.Category == CategorySource {
				if _, seen := ix.SourceActions[a.Name]; !seen {
					ix.SourceActions[a.Name] = ref
				}
			}
		}
	}
	return ix
}

// ActionAccount returns the account action a acts in: its role's account when it names a role,
// the pipeline's account otherwise ("" when neither is known).
func (ix *Index) ActionAccount(a *Action) string {
	if acct := AccountOfARN(a.RoleARN); acct != "" {
		return acct
	}
	if a.RoleARN != "" && !IsKnown(a.RoleARN) {
		return ""
	}
	return ix.PipelineAccount
}

// IsCrossAccount reports whether a acts in another account than the pipeline. It is false when
// either account is not known.
func (ix *Index) IsCrossAccount(a *Action) bool {
	acct := AccountOfARN(a.RoleARN)
	return acct != "" && ix.PipelineAccount != "" && acct != ix.PipelineAccount
}

// CrossAccountActions returns the actions of p that act in another account, in pipeline order.
func (ix *Index) CrossAccountActions(p *Pipeline) []ActionRef {
	var out []ActionRef
	for i := range p.Stages {
		for j := range p.Stages[i].Actions {
			if ix.IsCrossAccount(&p.Stages[i].Actions[j]) {
				out = append(out, ActionRef{Stage: i, Action: j})
			}
		}
	}
	return out
}
