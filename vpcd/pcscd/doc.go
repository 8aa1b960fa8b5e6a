// Package pcscd runs a private pcscd whose vpcd readers serve virtual cards,
// so that tests, `mynacard run` and other harnesses reach the real PC/SC
// stack without touching the system's pcscd or /etc/reader.conf.d.
//
// Debian's pcscd 1.9.9 ignores PCSCLITE_CSOCK_NAME (only libpcsclite, the
// client side, reads it), so the daemon cannot simply be pointed at another
// socket. Instead it runs in its own mount namespace with a per-run
// directory bound over /run: its /run/pcscd/pcscd.comm is then
// <Dir>/run/pcscd/pcscd.comm on the host, which Start exports as
// PCSCLITE_CSOCK_NAME. As root the namespace is an ordinary mount
// namespace; otherwise it is an unprivileged user namespace, which the
// kernel must allow (see Unavailable). The vpcd readers listen on a free
// port range.
//
// libpcsclite reads PCSCLITE_CSOCK_NAME once per process, at its first
// call, so a process must start the daemon before any other PC/SC use, and a
// process that starts daemons one after another must give them all the same
// Options.Dir. Child processes get the variable through the environment.
//
// Start and Daemon build on Linux only: they need its namespaces.
package pcscd

import "errors"

// SocketEnv is the variable libpcsclite reads for the daemon's socket.
const SocketEnv = "PCSCLITE_CSOCK_NAME"

// ErrUnavailable wraps every reason the private daemon cannot run on this
// machine (missing pcscd, vpcd driver or namespaces); harnesses skip or
// print the message, which says what to do.
var ErrUnavailable = errors.New("private pcscd unavailable")
