package vpcd

import (
	"fmt"
	"strings"
)

// Debian's vpcd driver and the port its stock reader.conf entry
// (CHANNELID 0x8C7B) gives slot 0.
const (
	DriverPath  = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
	DefaultPort = 0x8C7B
)

// SlotsPerReader is how many slots one reader.conf entry of Debian's vpcd
// driver opens; slot i listens on CHANNELID+i.
const SlotsPerReader = 2

// ReaderConf returns a pcscd reader.conf declaring len(drivers) vpcd
// readers whose slots listen on consecutive ports from base, so slot n is
// on port base+n. Each entry must load its own copy of the driver file:
// the driver keeps its sockets in globals indexed by slot alone, so two
// readers sharing one loaded driver would share slots.
func ReaderConf(base int, drivers []string) []byte { return ReaderConfFrom(0, base, drivers) }

// ReaderConfFrom is ReaderConf for entries numbered from first, to add to
// a reader.conf that declares entries 0 to first-1: each takes the name
// of its number, so no two readers are named alike.
func ReaderConfFrom(first, base int, drivers []string) []byte {
	var b strings.Builder
	for i, d := range drivers {
		port := base + i*SlotsPerReader
		fmt.Fprintf(&b, "FRIENDLYNAME %q\nDEVICENAME   /dev/null:%d\nLIBPATH      %s\nCHANNELID    %d\n\n",
			friendlyName(first+i), port, d, port)
	}
	return []byte(b.String())
}

// ReaderName returns the PC/SC name of slot n under ReaderConf. Slots 0
// and 1 have the names of Debian's stock vpcd reader.
func ReaderName(slot int) string {
	return fmt.Sprintf("%s 00 %02d", friendlyName(slot/SlotsPerReader), slot%SlotsPerReader)
}

// friendlyName differs per entry because pcscd 1.9.9 numbers readers with
// the same name identically ("Virtual PCD 00 00" twice).
func friendlyName(entry int) string {
	if entry == 0 {
		return "Virtual PCD"
	}
	return fmt.Sprintf("Virtual PCD %d", entry+1)
}
