package vulndb

import (
	"fmt"
	"io/fs"
	"os"
)

// A stamp file next to the database (<db>.checked) records the size and
// modification time of the file as it was when checkPages last passed on
// it. Open runs the full page check (checkPages: 10–40 ms on a 40 MB
// database, see docs/db.md) only when the stamp does not match, and the
// cheap one (checkTop) otherwise: a database installed by Write or
// ImportBundle is stamped after its full check; a file changed in place
// afterwards (truncated, overwritten, edited), copied without its stamp
// or named with `scan --db FILE` is fully checked at every open before
// bbolt walks any of its trees (Open never writes). Without the check, a page id pointing back at an ancestor page
// would make bbolt loop or recurse until the process dies.
//
// The stamp is a cache, not a security boundary: whoever can write the
// cache dir can replace the database itself.

func stampPath(db string) string { return db + ".checked" }

func stampOf(fi fs.FileInfo) string {
	return fmt.Sprintf("sightline-db-check/1 %d %d\n", fi.Size(), fi.ModTime().UnixNano())
}

// stamped reports whether the stamp matches fi.
func stamped(path string, fi fs.FileInfo) bool {
	b, err := os.ReadFile(stampPath(path))
	return err == nil && string(b) == stampOf(fi)
}

// writeStamp records that the file at path passed checkPages. Best
// effort: a read-only cache dir only costs the full check at each open.
func writeStamp(path string, fi fs.FileInfo) {
	tmp := stampPath(path) + ".tmp"
	if os.WriteFile(tmp, []byte(stampOf(fi)), 0o644) == nil {
		if os.Rename(tmp, stampPath(path)) != nil {
			os.Remove(tmp)
		}
	}
}
