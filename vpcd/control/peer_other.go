//go:build !linux

package control

import "net"

// samePeer relies on the socket's mode 0600 where the kernel reports no
// peer credentials through package syscall.
func samePeer(*net.UnixConn) error { return nil }
