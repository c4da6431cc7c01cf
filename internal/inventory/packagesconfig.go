package inventory

// Our packages.config reader replaces osv-scalibr's so that
// developmentDependency="true" is kept (scalibr drops the attribute).

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/google/osv-scalibr/purl"
)

const packagesConfigName = "dotnet/packagesconfig"

// packagesConfig reads NuGet's packages.config
// (https://learn.microsoft.com/en-us/nuget/reference/packages-config):
// one <package id version developmentDependency?/> per package. A package
// with developmentDependency="true" is used only at build time (dev).
// Read as an XML token stream: linear, constant memory.
type packagesConfig struct{}

func (packagesConfig) name() string  { return packagesConfigName }
func (packagesConfig) streams() bool { return true }

func (packagesConfig) required(p string, _ fs.FileMode, _ int64) bool {
	return pathBase(p) == "packages.config"
}

func (packagesConfig) extract(ctx context.Context, in *input) ([]Record, error) {
	dec := xml.NewDecoder(in.r)
	var out []Record
	for n := 0; ; n++ {
		if n%checkEvery == 0 && ctx.Err() != nil {
			return out, ctx.Err()
		}
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("XML: %w", err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "package" {
			continue
		}
		var id, version string
		dev := false
		for _, a := range se.Attr {
			switch a.Name.Local {
			case "id":
				id = a.Value
			case "version":
				version = a.Value
			case "developmentDependency":
				dev = strings.EqualFold(a.Value, "true")
			}
		}
		if id == "" {
			line, _ := dec.InputPos()
			return out, fmt.Errorf("line %d: <package> without an id", line)
		}
		out = append(out, pkgRecord(packagesConfigName, in.path, id, version, purl.TypeNuget, dev))
	}
}
