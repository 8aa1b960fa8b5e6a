package vpcd

import (
	"net"
	"syscall"
)

// quickAck asks the kernel to acknowledge the next segment at once. vpcd
// writes a frame's length prefix and body separately; with Nagle on its side
// the body waits for our ACK of the prefix, which Linux delays up to 40 ms.
// The kernel clears the flag again after use, so it is re-armed before each
// read.
func quickAck(c *net.TCPConn) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
	}); err != nil {
		return err
	}
	return serr
}
