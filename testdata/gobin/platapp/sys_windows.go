package main

import "golang.org/x/sys/windows"

// sys calls windows.NewNTUnicodeString: named by GO-2026-5024 (windows only).
func sys() {
	s, err := windows.NewNTUnicodeString("platapp")
	if err == nil {
		println(s.Length)
	}
}
