package pipeline

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// Glob is a compiled trigger filter pattern. CodePipeline documents the syntax of the Java NIO
// "glob:" matcher, and this follows it: `*` matches within one path segment, `**` across
// segments, `?` one character other than `/`, `[abc]`/`[a-z]`/`[!a]` one character of (or not
// of) a set, `{a,b}` one of the alternatives (not nested), and `\` escapes the next character.
// A pattern matches the whole string: "main" matches the branch "main" only.
type Glob struct {
	pattern string
	re      *regexp.Regexp
}

// CompileGlob compiles a glob pattern.
func CompileGlob(pattern string) (*Glob, error) {
	re, err := globRegexp(pattern)
	if err != nil {
		return nil, fmt.Errorf("glob %q: %w", pattern, err)
	}
	return &Glob{pattern: pattern, re: re}, nil
}

// Match reports whether s matches the whole pattern.
func (g *Glob) Match(s string) bool { return g.re.MatchString(s) }

func (g *Glob) String() string { return g.pattern }

// globCache keeps compiled patterns: the daemon evaluates the same few patterns on every push.
var globCache sync.Map // pattern → *Glob or error

// MatchGlob reports whether s matches pattern; a malformed pattern matches nothing.
func MatchGlob(pattern, s string) bool {
	if v, ok := globCache.Load(pattern); ok {
		g, _ := v.(*Glob)
		return g != nil && g.Match(s)
	}
	g, err := CompileGlob(pattern)
	if err != nil {
		globCache.Store(pattern, err)
		return false
	}
	globCache.Store(pattern, g)
	return g.Match(s)
}

// Matches applies an includes/excludes pair to s: s must match an include (any, when there are
// no includes) and no exclude. Excludes win, as in CodePipeline.
func (f *GlobFilter) Matches(s string) bool {
	for _, p := range f.Excludes {
		if MatchGlob(p, s) {
			return false
		}
	}
	if len(f.Includes) == 0 {
		return true
	}
	for _, p := range f.Includes {
		if MatchGlob(p, s) {
			return true
		}
	}
	return false
}

// globRegexp translates a glob into an anchored regular expression, the way Java's
// Globs.toRegexPattern does.
func globRegexp(glob string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString(`^`)
	inGroup := false
	for i := 0; i < len(glob); i++ {
		c := glob[i]
		switch c {
		case '\\':
			if i+1 >= len(glob) {
				return nil, fmt.Errorf("a trailing \\ escapes nothing")
			}
			i++
			b.WriteString(regexp.QuoteMeta(string(glob[i])))
		case '*':
			if i+1 < len(glob) && glob[i+1] == '*' {
				b.WriteString(`.*`)
				i++
			} else {
				b.WriteString(`[^/]*`)
			}
		case '?':
			b.WriteString(`[^/]`)
		case '[':
			end, class, err := globClass(glob, i)
			if err != nil {
				return nil, err
			}
			b.WriteString(class)
			i = end
		case '{':
			if inGroup {
				return nil, fmt.Errorf("groups {…} cannot be nested")
			}
			inGroup = true
			b.WriteString(`(?:`)
		case '}':
			if !inGroup {
				b.WriteString(`\}`)
				continue
			}
			inGroup = false
			b.WriteString(`)`)
		case ',':
			if inGroup {
				b.WriteString(`|`)
			} else {
				b.WriteString(`,`)
			}
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	if inGroup {
		return nil, fmt.Errorf("a group { is not closed")
	}
	b.WriteString(`$`)
	return regexp.Compile(b.String())
}

// globClass translates the bracket expression starting at glob[start] and returns the index
// of its closing bracket. As in Java, a class never matches `/`: a negated class excludes it,
// and a range of a positive class that spans it is split around it.
func globClass(glob string, start int) (int, string, error) {
	var b strings.Builder
	b.WriteString(`[`)
	i := start + 1
	if i < len(glob) && (glob[i] == '!' || glob[i] == '^') {
		b.WriteString(`^/`)
		i++
	}
	first := true
	for ; i < len(glob); i++ {
		c := glob[i]
		if c == ']' && !first {
			b.WriteString(`]`)
			return i, b.String(), nil
		}
		first = false
		if c == '\\' {
			if i+1 >= len(glob) {
				return 0, "", fmt.Errorf("a trailing \\ escapes nothing")
			}
			i++
			c = glob[i]
		}
		if c == '/' {
			return 0, "", fmt.Errorf("a character class cannot contain /")
		}
		lo, hi := c, c
		if i+2 < len(glob) && glob[i+1] == '-' && glob[i+2] != ']' {
			hi = glob[i+2]
			i += 2
			if hi < lo {
				return 0, "", fmt.Errorf("range %c-%c is reversed", lo, hi)
			}
		}
		writeRange := func(lo, hi byte) {
			b.WriteString(classChar(lo))
			if hi != lo {
				b.WriteString(`-` + classChar(hi))
			}
		}
		if lo < '/' && hi > '/' {
			writeRange(lo, '/'-1)
			writeRange('/'+1, hi)
		} else if lo == '/' || hi == '/' {
			return 0, "", fmt.Errorf("a character class cannot contain /")
		} else {
			writeRange(lo, hi)
		}
	}
	return 0, "", fmt.Errorf("a character class [ is not closed")
}

// classChar escapes a character for use inside a regexp character class.
func classChar(c byte) string {
	if c < 0x20 || c > 0x7e {
		return fmt.Sprintf(`\x{%x}`, c)
	}
	if strings.IndexByte(`\^-[]`, c) >= 0 {
		return `\` + string(c)
	}
	return string(c)
}
