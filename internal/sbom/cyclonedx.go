package sbom

import (
	"bytes"
	"context"
	"fmt"
	"strconv"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/sightline-sec/sightline/internal/inventory"
	"github.com/sightline-sec/sightline/internal/purl"
)

// maxDepth bounds component nesting; deeper input is refused rather than
// recursed into (a hostile file could nest millions of levels).
const maxDepth = 64

func parseCycloneDX(ctx context.Context, b []byte, xml bool) (*Document, error) {
	format := cdx.BOMFileFormatJSON
	if xml {
		format = cdx.BOMFileFormatXML
	}
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(b), format).Decode(&bom); err != nil {
		return nil, fmt.Errorf("invalid CycloneDX: %w", err)
	}
	doc := &Document{Format: "cyclonedx", SpecVersion: bom.SpecVersion.String()}
	if xml {
		doc.SpecVersion = "xml"
	}
	if m := bom.Metadata; m != nil && m.Component != nil {
		doc.Name = m.Component.Name
		if m.Component.Type == cdx.ComponentTypeOS {
			doc.OS = osFrom(m.Component.Name, m.Component.Version, m.Component.Description, cdxProps(m.Component))
		}
	}
	var comps []cdx.Component
	if bom.Components != nil {
		comps = *bom.Components
	}
	// OS first: distro purls without a distro qualifier fall back to it.
	if err := walk(comps, 0, func(c *cdx.Component) error {
		if c.Type == cdx.ComponentTypeOS && doc.OS == nil {
			doc.OS = osFrom(c.Name, c.Version, c.Description, cdxProps(c))
		}
		return nil
	}); err != nil {
		return nil, err
	}
	osEco := ""
	if doc.OS != nil {
		osEco = doc.OS.Ecosystem
	}
	err := walk(comps, 0, func(c *cdx.Component) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if c.Type == cdx.ComponentTypeOS {
			return nil
		}
		p, ok, warn := cdxPackage(c, osEco)
		if warn != "" {
			doc.Warnings = append(doc.Warnings, warn)
		}
		if ok {
			doc.Packages = append(doc.Packages, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return doc, nil
}

// walk visits components depth-first, parents before children.
func walk(cs []cdx.Component, depth int, fn func(*cdx.Component) error) error {
	if depth > maxDepth {
		return fmt.Errorf("components nested deeper than %d levels", maxDepth)
	}
	for i := range cs {
		if err := fn(&cs[i]); err != nil {
			return err
		}
		if cs[i].Components != nil {
			if err := walk(*cs[i].Components, depth+1, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

func cdxProps(c *cdx.Component) props {
	p := props{}
	if c.Properties != nil {
		for _, pr := range *c.Properties {
			p[pr.Name] = append(p[pr.Name], pr.Value)
		}
	}
	return p
}

// cdxPackage maps one component; ok is false for components that are not
// packages (the target image) or cannot be matched (no purl).
func cdxPackage(c *cdx.Component, osEco string) (p inventory.Package, ok bool, warning string) {
	if c.PackageURL == "" {
		if c.Type == cdx.ComponentTypeLibrary || c.Type == cdx.ComponentTypeFramework {
			return unidentified(c.Name, c.Version), true, fmt.Sprintf("component %q %s has no purl; it cannot be matched", c.Name, c.Version)
		}
		return p, false, ""
	}
	if isTargetPURL(c.PackageURL) {
		return p, false, ""
	}
	p, err := purl.ToPackage(c.PackageURL, osEco)
	if err != nil {
		return unidentified(c.Name, c.Version), true, fmt.Sprintf("component %q: %v", c.Name, err)
	}
	if p.Version == "" {
		p.Version = c.Version
	}
	hints := []string{c.Name}
	if c.Group != "" {
		hints = append(hints, c.Group+"/"+c.Name)
	}
	purl.CaseHint(&p, hints...)
	pr := cdxProps(c)
	pr.apply(&p)
	p.Locations = append(p.Locations, syftLocations(pr)...)
	if c.Evidence != nil && c.Evidence.Occurrences != nil {
		for _, o := range *c.Evidence.Occurrences {
			if o.Location != "" {
				p.Locations = append(p.Locations, o.Location)
			}
		}
	}
	if c.Licenses != nil {
		for _, l := range *c.Licenses {
			switch {
			case l.Expression != "":
				p.Licenses = append(p.Licenses, l.Expression)
			case l.License != nil && l.License.ID != "":
				p.Licenses = append(p.Licenses, l.License.ID)
			case l.License != nil && l.License.Name != "":
				p.Licenses = append(p.Licenses, l.License.Name)
			}
		}
	}
	return p, true, ""
}

// syftLocations reads the "syft:location:N:path" properties syft writes
// instead of CycloneDX evidence, in N order.
func syftLocations(pr props) []string {
	var out []string
	for i := 0; ; i++ {
		v := pr.get("syft:location:" + strconv.Itoa(i) + ":path")
		if v == "" {
			return out
		}
		out = append(out, v)
	}
}
