package pipeline

import "testing"

func TestGlobMatch(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{"main", "main", true},
		{"main", "mainline", false},
		{"main", "x/main", false},
		{"*", "main", true},
		{"*", "feature/x", false},
		{"**", "feature/x/y", true},
		{"feature/*", "feature/login", true},
		{"feature/*", "feature/login/v2", false},
		{"feature/**", "feature/login/v2", true},
		{"feature/**", "feature", false},
		{"release-v?", "release-v1", true},
		{"release-v?", "release-v10", false},
		{"release-v?", "release-v/", false},
		{"*.{java,class}", "Main.java", true},
		{"*.{java,class}", "Main.class", true},
		{"*.{java,class}", "Main.go", false},
		{"v[0-9].*", "v1.2", true},
		{"v[0-9].*", "vx.2", false},
		{"v[!0-9]", "vx", true},
		{"v[!0-9]", "v1", false},
		{"v[!0-9]", "v/", false},
		{"a[!-0]b", "a/b", false},
		{"a[+-0]b", "a/b", false},
		{"a[+-0]b", "a.b", true},
		{`\*`, "*", true},
		{`\*`, "x", false},
		{"src/**/*.go", "src/a/b/c.go", true},
		{"src/**/*.go", "src/c.go", false}, // ** then / needs a directory, as in Java
		{"**/README.md", "docs/README.md", true},
		{"**/README.md", "README.md", false},
		{"a.b", "axb", false},
		{"(x)", "(x)", true},
		{"x}", "x}", true},
	}
	for _, c := range cases {
		if got := MatchGlob(c.pattern, c.s); got != c.want {
			t.Errorf("MatchGlob(%q, %q) = %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
}

func TestGlobMalformed(t *testing.T) {
	for _, p := range []string{"[abc", "{a,b", "{a,{b}}", `x\`, "[a/b]", "[z-a]"} {
		if _, err := CompileGlob(p); err == nil {
			t.Errorf("CompileGlob(%q): want an error", p)
		}
		if MatchGlob(p, p) {
			t.Errorf("MatchGlob(%q) matched although the pattern is malformed", p)
		}
	}
}

func TestGlobFilterExcludesWin(t *testing.T) {
	f := &GlobFilter{Includes: []string{"release/**", "main"}, Excludes: []string{"release/old-*"}}
	for s, want := range map[string]bool{"main": true, "release/1.0": true, "release/old-1": false, "dev": false} {
		if got := f.Matches(s); got != want {
			t.Errorf("Matches(%q) = %v, want %v", s, got, want)
		}
	}
	onlyExcludes := &GlobFilter{Excludes: []string{"docs/**"}}
	if !onlyExcludes.Matches("src/a.go") || onlyExcludes.Matches("docs/a.md") {
		t.Error("a filter with only excludes must match everything else")
	}
}
