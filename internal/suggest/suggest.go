// Package suggest finds the intended word behind a typo, for "did you
// mean …?" hints in error messages (unknown keys, formats, commands).
//
// The rule is cobra's for unknown subcommands, so hints read alike across
// the CLI: a candidate within Levenshtein distance 2 (case-insensitive), or
// one the input is a prefix of.
package suggest

import "strings"

// MaxDistance is the largest edit distance that still counts as a typo.
const MaxDistance = 2

// Closest returns the candidate nearest to word, and false when none is
// close enough. Ties go to the earlier candidate.
func Closest(word string, candidates []string) (string, bool) {
	lw := strings.ToLower(word)
	best, bestD := "", MaxDistance+1
	for _, c := range candidates {
		lc := strings.ToLower(c)
		d := distance(lw, lc)
		if lw != "" && strings.HasPrefix(lc, lw) {
			d = min(d, 1)
		}
		if d < bestD {
			best, bestD = c, d
		}
	}
	return best, bestD <= MaxDistance
}

// Hint is " (did you mean \"x\"?)" for the closest candidate, or "".
func Hint(word string, candidates []string) string {
	if c, ok := Closest(word, candidates); ok && c != word {
		return ` (did you mean "` + c + `"?)`
	}
	return ""
}

// distance is the Levenshtein distance between a and b, over runes.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
