package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDBImportDistroFeeds: `db import` takes a real ALAS updateinfo.xml.gz
// and a real ELSA OVAL .bz2 by content, and `db query` answers rpm purls
// with epochs (qualifier) and architectures from them.
func TestDBImportDistroFeeds(t *testing.T) {
	c := newCLI(t)
	td := filepath.Join("..", "..", "testdata", "vulndb")
	out := c.ok("db", "import", filepath.Join(td, "alas", "vuln-list-update", "updateinfo_2_items.xml.gz"),
		filepath.Join(td, "oval", "vunnel", "mock_per_arch_data"))
	if !strings.Contains(out, "imported 2 alas records") || !strings.Contains(out, "imported 3 oval records") {
		t.Fatalf("import output:\n%s", out)
	}
	// qemu-kvm epoch 10 at ALAS2-2018-942's fix: clean; the same EVR
	// without its epoch (what inventories reported before) is below it.
	if ids := c.query("pkg:rpm/amzn/qemu-kvm@1.5.3-141.amzn2.5.3?arch=x86_64&distro=amzn-2&epoch=10").ids(); len(ids) != 0 {
		t.Errorf("qemu-kvm at its fix: %v", ids)
	}
	d := c.query("pkg:rpm/amzn/qemu-kvm@1.5.3-141.amzn2.5.3?distro=amzn-2")
	if !slices.Equal(d.ids(), []string{"ALAS2-2018-942"}) || d.Package.Ecosystem != "Amazon Linux:2" ||
		!slices.Equal(d.Vulnerabilities[0].FixedVersions, []string{"10:1.5.3-141.amzn2.5.3"}) {
		t.Errorf("qemu-kvm without epoch: %+v", d)
	}
	// ELSA-2022-4803 fixes rsyslog per architecture.
	if ids := c.query("pkg:rpm/ol/rsyslog@8.24.0-57.0.1.el7_9.3?arch=aarch64&distro=ol-7.9").ids(); !slices.Equal(ids, []string{"ELSA-2022-4803"}) {
		t.Errorf("aarch64 rsyslog: %v", ids)
	}
	if ids := c.query("pkg:rpm/ol/rsyslog@8.24.0-57.0.1.el7_9.3?arch=x86_64&distro=ol-7.9").ids(); len(ids) != 0 {
		t.Errorf("x86_64 rsyslog: %v", ids)
	}
	bad := filepath.Join(td, "alas", "vuln-list-update", "updateinfo_invalid.xml.gz")
	if _, errs, code := c.run("db", "import", bad); code != 2 || !strings.Contains(errs, "updateinfo_invalid.xml.gz") {
		t.Errorf("malformed updateinfo: exit %d %q", code, errs)
	}
}
