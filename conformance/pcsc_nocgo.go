//go:build !cgo && !windows

package conformance

import "errors"

// PCSC stands in for the PC/SC target in a build without cgo: the PC/SC
// binding (github.com/ebfe/scard) calls libpcsclite or PCSC.framework
// through cgo everywhere but on Windows.
type PCSC struct{ Target }

// OpenPCSC fails: this build cannot reach PC/SC.
func OpenPCSC(string) (*PCSC, error) {
	return nil, errors.New("PC/SC: this mynacard was built without cgo (CGO_ENABLED=0); rebuild with cgo for pcsc targets")
}
