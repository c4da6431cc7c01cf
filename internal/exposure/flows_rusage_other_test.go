//go:build !unix

package exposure

// cpuSeconds is not measured here (getrusage is unix-only).
func cpuSeconds() float64 { return 0 }
