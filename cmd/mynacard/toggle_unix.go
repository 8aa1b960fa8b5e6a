//go:build unix

package main

import (
	"os"
	"os/signal"
	"syscall"
)

// notifyToggle sends SIGUSR1 to c: each one removes the served cards from
// their readers or inserts them again.
func notifyToggle(c chan<- os.Signal) { signal.Notify(c, syscall.SIGUSR1) }

const toggleHelp = "SIGUSR1 removes or inserts the cards, "
