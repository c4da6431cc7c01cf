package main

import (
	"encoding/json"
	"io"
)

// writeJSON writes v as indented JSON. HTML escaping is off so advisory
// URLs and version ranges ("<", ">") stay readable in the output.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
