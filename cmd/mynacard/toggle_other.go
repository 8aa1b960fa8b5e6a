//go:build !unix

package main

import "os"

// notifyToggle does nothing: Windows has no SIGUSR1, so the served cards
// stay inserted until serve stops.
func notifyToggle(chan<- os.Signal) {}

const toggleHelp = ""
