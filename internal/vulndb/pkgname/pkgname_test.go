package pkgname

import (
	"testing"
)

// TestKey: each rule on names from real advisories (testdata/vulndb/names)
// and the spellings users and SBOM producers write for them. The match
// tests check the same pairs end to end against the records.
func TestKey(t *testing.T) {
	cases := []struct {
		eco, a, b string
		same      bool
	}{
		{"PyPI", "flask-oidc", "Flask_OIDC", true},
		{"PyPI", "flask-oidc", "flask.oidc", true},
		{"PyPI", "flask-oidc", "flask__oidc", true},
		{"PyPI", "flask-oidc", "flaskoidc", false},
		{"NuGet", "jQuery", "jquery", true},
		{"NuGet", "magick.net-q16-anycpu", "Magick.NET-Q16-AnyCPU", true},
		{"NuGet", "magick.net-q16-anycpu", "Magick_NET-Q16-AnyCPU", false},
		{"Packagist", "pubnub/pubnub", "PubNub/PubNub", true},
		{"Packagist", "pubnub/pubnub", "pubnub/pub_nub", false},
		{"crates.io", "libwebp-sys", "libwebp_sys", true},
		{"crates.io", "libwebp-sys", "LibWebP-Sys", true},
		{"crates.io", "libwebp-sys", "libwebp.sys", false},
		{"Go", "github.com/1Panel-dev/1Panel", "github.com/1!panel-dev/1!panel", true},
		{"Go", "github.com/1Panel-dev/1Panel", "github.com/1panel-dev/1panel", false},
		{"Go", "github.com/0xJacky/Nginx-UI", "github.com/0xJacky/nginx-ui", false},
		{"npm", "Haraka", "haraka", false},
		{"Maven", "org.apache.jmeter:ApacheJMeter", "org.apache.jmeter:apachejmeter", false},
		{"RubyGems", "RedCloth", "redcloth", false},
		{"Hex", "phoenix_html", "phoenix-html", false},
		{"Pub", "pubnub", "PubNub", false},
		{"Hackage", "HTTP", "http", false},
		{"CRAN", "Matrix", "matrix", false},
		{"Debian:12", "openssl", "OpenSSL", false},
		{"Red Hat:enterprise_linux:9::appstream", "NetworkManager", "networkmanager", false},
		{"Ubuntu:22.04:LTS", "openssl", "openssl", true},
	}
	for _, c := range cases {
		ka, kb := Key(c.eco, c.a), Key(c.eco, c.b)
		if (ka == kb) != c.same {
			t.Errorf("%s: %q → %q, %q → %q; same = %v, want %v", c.eco, c.a, ka, c.b, kb, ka == kb, c.same)
		}
	}
}

func TestKeyForms(t *testing.T) {
	for _, c := range [][3]string{
		{"PyPI", "Flask_OIDC", "flask-oidc"},
		{"PyPI", "zope.interface", "zope-interface"},
		{"PyPI", "a-_.b", "a-b"},
		{"NuGet", "Pubnub", "pubnub"},
		{"crates.io", "Libwebp_Sys2", "libwebp-sys2"},
		{"Go", "github.com/!burnt!sushi/toml", "github.com/BurntSushi/toml"},
		{"Go", "github.com/bad!!escape", "github.com/bad!!escape"}, // not a valid escape: kept
		{"npm", "@Scope/Name", "@Scope/Name"},
	} {
		if got := Key(c[0], c[1]); got != c[2] {
			t.Errorf("Key(%s, %q) = %q, want %q", c[0], c[1], got, c[2])
		}
	}
	if !CaseLost("Go") || !CaseLost("npm") || CaseLost("NuGet") || CaseLost("Debian:12") {
		t.Error("CaseLost: want exactly Go and npm")
	}
}

// FuzzKey: Key never panics and is idempotent (the index and the lookups
// may apply it once or twice: an old key is re-keyed on migration).
func FuzzKey(f *testing.F) {
	for _, s := range []string{"Flask_OIDC", "github.com/!burnt!sushi", "!", "a--b", "Libwebp_Sys", "\xff!A"} {
		f.Add("PyPI", s)
		f.Add("Go", s)
		f.Add("crates.io", s)
		f.Add("NuGet", s)
	}
	f.Fuzz(func(t *testing.T, eco, name string) {
		k := Key(eco, name)
		if k2 := Key(eco, k); k2 != k {
			t.Fatalf("Key(%q) not idempotent: %q → %q → %q", eco, name, k, k2)
		}
	})
}
