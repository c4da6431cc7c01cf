// Package gobin reads what a Go binary tells beyond its module list: the
// platform it was built for and the functions linked into it, as evidence
// for Go findings (issue 7, item 7). The evidence never hides a finding;
// it ranks it.
//
// # What is read
//
// Platform: the GOOS and GOARCH build settings (debug/buildinfo; Go ≥ 1.18
// records them). Matching drops a Go vulndb affected entry only when every
// one of its ecosystem_specific.imports is restricted to platforms that
// exclude the binary's — the rule govulncheck applies
// (golang.org/x/vuln, internal/vulncheck: matchesPlatform; see
// internal/match/platform.go).
//
// Functions: the pclntab's funcnametab, which the Go linker fills with
// the name of every function in the binary and of every function inlined
// into one. It survives `-ldflags=-s -w` (only the ELF symbol table and
// DWARF go), so stripped and unstripped builds give the same set
// (TestReadPlatapp). Names are turned into the Go vulnerability database's
// notation ("net/http", "Client.Do") and grouped by module, longest module
// path first, the rest of the no-dot paths being the standard library.
//
// # Why not golang.org/x/vuln
//
// Its binary reader is internal; its public API (golang.org/x/vuln/scan,
// govulncheck -mode=binary) wants a file path and a vulnerability
// database in its own v1 layout, per run. Layers are streamed and not
// kept, so the binary exists only as bytes in memory during the layer
// walk, and the cached result of a layer must not depend on the advisory
// database. govulncheck also finds inlined functions only through the
// symbol table (go:func.*), i.e. not in stripped binaries, where it falls
// back to module-level answers; funcnametab gives inlined names either
// way. debug/gosym (the standard library) lists only non-inlined
// functions: TestAgainstDebugGosym checks that every one of its 4,459
// functions of the test binary is in our set, which holds 1,282 more
// names that were only inlined.
//
// # What is stored, and the measurement behind it
//
// Per module and binary, a Set: the sorted "package sym sym …" lines,
// zstd-compressed (klauspost/compress, already a dependency; 512 KiB
// window). Measured on this 2-core machine under heavy shared load
// (load average 13–28; CPU time is the fair figure), 2026-11-30:
//
//	binary                        size     functions  text     Set      CPU to read+encode
//	testdata/gobin/platapp        5.5 MB    4.8 k     72 kB    25.5 kB  2.0–2.5 ms/MiB
//	Go 1.26.8 pkg/tool/compile   25.8 MB   18.4 k    364 kB    90.0 kB  1.3–1.6 ms/MiB
//	kubectl (gcloud SDK)         57.3 MB   65.1 k   1814 kB   277.5 kB  1.7–2.2 ms/MiB
//
// That is 3.7–5.1 kB stored per MiB of binary (≈ 4–5 bytes per function);
// the uncompressed text is 2.8–6.5× larger, s2 1.4–1.5× larger than zstd,
// and 32-bit hashes of the names (inexact) would cost about as much. Reading adds transient
// memory of ≈ 20 % of the binary's size, which the layer walker already
// holds in memory. Reproduce:
//
//	SIGHTLINE_BENCH_GOBIN=$(go env GOROOT)/pkg/tool/linux_amd64/compile \
//	  go test ./internal/gobin -run '^$' -bench Read -benchtime 10x
//
// The sets are not kept in the layer cache's JSON entries: encoding/json
// decodes a base64 blob byte by byte, and on the benchmark image (the
// standard test image plus a layer with the Go toolchain's 8 tools) the
// toolchain layer's entry grew from 99 kB to 515 kB and its decoding from
// ≈5 ms to 8–16 ms, against a 25 ms warm-rescan budget. internal/scan moves
// them to content-addressed side files (layers/gosym/<sha256>, 331 kB for
// the image's 9 Go binaries) and reads one only when a finding on its
// module needs evidence. With that, the layer entries grew by 0.9 kB and
// 0.3 kB, and a warm rescan of the benchmark image with the whole Go
// vulndb (17 Go findings, all with evidence) took the same CPU before and
// after (median of 8 interleaved runs: 0.185 s vs 0.175 s) with the same
// peak heap (18 MB); a cold scan's peak heap went from 71 to 74 MB.
package gobin
