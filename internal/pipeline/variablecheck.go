package pipeline

import (
	"fmt"
	"regexp"
	"strings"
)

// VariableCheck decides a VariableCheck rule on its resolved Variable and Value: EQ (equal),
// CONTAINS (Value is a substring of the variable), MATCHES (the whole variable matches Value
// as a regular expression, as Java's String.matches does; the local backend's syntax is Go's
// RE2, which has all of Java's but lookaround and backreferences) and NE (not equal). It
// returns whether the check passes, and why not in words.
func VariableCheck(operator, variable, value string) (bool, string, error) {
	var ok bool
	switch operator {
	case OperatorEquals:
		ok = variable == value
	case OperatorNotEquals:
		ok = variable != value
	case OperatorContains:
		ok = strings.Contains(variable, value)
	case OperatorMatches:
		re, err := regexp.Compile(`^(?:` + value + `)$`)
		if err != nil {
			return false, "", fmt.Errorf("Value %q is not a regular expression the local backend reads (RE2 syntax, without lookaround or backreferences): %w", value, err)
		}
		ok = re.MatchString(variable)
	default:
		return false, "", fmt.Errorf("Operator %q is not one of %s", operator, strings.Join(VariableCheckOperators, ", "))
	}
	verb := map[string]string{OperatorEquals: "equals", OperatorNotEquals: "differs from", OperatorContains: "contains", OperatorMatches: "matches"}[operator]
	if ok {
		return true, fmt.Sprintf("%q %s %q", variable, verb, value), nil
	}
	return false, fmt.Sprintf("%q does not satisfy %s %q", variable, operator, value), nil
}
