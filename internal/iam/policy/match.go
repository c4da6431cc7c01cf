package policy

// Glob reports whether s matches pattern, where '*' matches any run of
// characters (including none) and '?' exactly one, as in IAM Action and
// Resource elements. It runs in O(len(pattern)*len(s)) worst case, never
// exponentially (greedy star with backtracking to the last star).
func Glob(pattern, s string) bool { return glob(pattern, s, false) }

func glob(pattern, s string, fold bool) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i] || fold && lower(pattern[p]) == lower(s[i])):
			p++
			i++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// ActionMatches reports whether an Action pattern ("s3:Get*", "*") matches an
// action ("s3:GetObject"). Action names are case-insensitive
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html).
func ActionMatches(pattern, action string) bool {
	return glob(pattern, action, true)
}

// lower folds ASCII letters only: action names are ASCII.
func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// AnyAction reports whether any pattern matches the action.
func AnyAction(patterns []string, action string) bool {
	for _, p := range patterns {
		if ActionMatches(p, action) {
			return true
		}
	}
	return false
}
