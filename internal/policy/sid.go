package policy

import "sort"

// AWSPrincipalsOf returns the AWS principals of the statement with the given Sid, sorted; nil
// when there is no such statement. Importing a generated policy uses it to recover the roles
// it grants.
func (d *Document) AWSPrincipalsOf(sid string) []string {
	for _, s := range d.Statement {
		if s.Sid == sid {
			out := append([]string(nil), s.Principal.Set["AWS"]...)
			sort.Strings(out)
			return out
		}
	}
	return nil
}
