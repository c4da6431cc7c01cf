// Command platapp is the Go binary of the platform and symbol evidence
// tests (internal/gobin, internal/scan): built for linux and for windows,
// stripped and not, from this one source.
package main

import (
	"html/template"
	"os"
)

func main() {
	// html/template's Template.Execute: named by GO-2026-6599 (all platforms).
	t := template.Must(template.New("x").Parse("<p>{{.}}</p>\n"))
	_ = t.Execute(os.Stdout, os.Args[0])
	// os.Root.Mkdir: named by GO-2026-6604, which is restricted to windows.
	if r, err := os.OpenRoot(os.TempDir()); err == nil {
		_ = r.Mkdir("platapp", 0o700)
		r.Close()
	}
	sys()
}
