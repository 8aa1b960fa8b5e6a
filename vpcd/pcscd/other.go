//go:build !linux

package pcscd

import (
	"fmt"
	"runtime"
)

// Daemon is a running private pcscd; see the Linux build.
type Daemon struct{ Socket, Dir string }

// Options configures Start.
type Options struct {
	Slots int
	Dir   string
}

// Start reports that a private pcscd needs Linux namespaces.
func Start(Options) (*Daemon, error) {
	return nil, fmt.Errorf("%w: it needs Linux namespaces, not %s", ErrUnavailable, runtime.GOOS)
}
