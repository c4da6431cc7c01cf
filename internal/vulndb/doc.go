// Package vulndb is Sightline's advisory knowledge base: one embedded,
// schema-versioned file (bbolt) built from OSV records, the distributions'
// own feeds where OSV has none (Amazon Linux ALAS updateinfo, Oracle Linux
// ELSA OVAL: alas.go, oval.go), the CISA KEV catalog and FIRST EPSS scores,
// plus the importers, the mirror updater and the air-gap bundle format that
// fill it.
//
// Design decisions (measurements in docs/db.md):
//
//   - Store: go.etcd.io/bbolt, pure Go, one file, memory-mapped. Readers
//     open it read-only and keep one read transaction for the life of the
//     *DB: a lookup is then one B+tree descent on the mmap with no locking,
//     which is what makes ≥ 500k lookups/s possible when most packages have
//     no advisory. bbolt read-only transactions never mutate shared state
//     (bucket caches exist only for writable transactions), so the one
//     transaction is safe for concurrent Get calls.
//   - Writes never touch the live file: a new file is built next to it and
//     renamed over it atomically, so a crash or kill leaves the previous DB
//     usable, and open readers keep their (old) mmap.
//   - Sources are replaced whole: each import or mirror download is a named
//     source; re-importing it drops its previous records and index entries
//     (tagged with the source id) and adds the new ones, so unchanged
//     sources are copied byte-for-byte instead of re-parsed.
//   - Range events are sorted by the ecosystem's version order at import
//     time, so matching walks them once and stops at the first event above
//     the queried version.
package vulndb
