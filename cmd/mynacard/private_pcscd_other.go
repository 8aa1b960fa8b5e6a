//go:build !linux

package main

import "fmt"

// run, matrix and fuzz-client start a private pcscd in a Linux mount
// namespace (package pcscd); elsewhere they exist only to say so.
func init() {
	for _, name := range []string{"run", "matrix", "fuzz-client"} {
		register(command{name: name, summary: "(Linux only) needs a private pcscd", run: func(*env, []string) error {
			return fmt.Errorf("needs Linux: it runs a private pcscd in a mount namespace; run it on Linux or in a Linux container")
		}})
	}
}
