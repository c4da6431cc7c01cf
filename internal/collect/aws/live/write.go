package live

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sightline-sec/sightline/internal/atomicfile"
	"github.com/sightline-sec/sightline/internal/collect/aws/layout"
)

// writeAtomic writes data to path through a temporary file in the same
// directory and a rename, so a reader never sees half a file.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	return atomicfile.Write(path, data, 0o644)
}

func writeManifestFile(dir string, m *layout.Manifest) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding manifest: %w", err)
	}
	return writeAtomic(filepath.Join(dir, layout.ManifestFile), append(data, '\n'))
}
