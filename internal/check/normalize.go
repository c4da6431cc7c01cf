package check

import "math"

// Normalize turns the integral float64 numbers of a value decoded by
// encoding/json into int64, in place, so Data and Vars hold whole numbers
// as int64 as the Object contract wants and CEL rules compare ports and
// sizes as integers (CEL has no implicit int/double equality). Numbers
// beyond ±2^53 stay float64: above that a float64 is not an exact integer.
// It returns v (maps and slices are changed in place).
func Normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = Normalize(e)
		}
	case []any:
		for i, e := range x {
			x[i] = Normalize(e)
		}
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x)
		}
	}
	return v
}
