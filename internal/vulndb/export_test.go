package vulndb

// MirrorRoots exposes mirrorRoots to the external tests.
var MirrorRoots = mirrorRoots
