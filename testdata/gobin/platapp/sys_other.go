//go:build !windows

package main

import "golang.org/x/sys/unix"

// sys links golang.org/x/sys through its unix package on other systems.
func sys() { println(unix.Getpagesize()) }
