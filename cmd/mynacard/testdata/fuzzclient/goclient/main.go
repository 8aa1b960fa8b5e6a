// Command goclient is a PC/SC client with two planted bugs, for
// fuzz-client's tests; -correct runs it without them. It reads JPKI EF
// 0008 (which certificates are present) trusting it to be 3 bytes, which
// panics on a shorter answer, and the text AP's 基本4情報 (EF 0002, FF 20 LL)
// in chunks until it has LL bytes, ignoring the status word, which loops
// for ever when the header claims more than the file holds.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/ebfe/scard"
)

var correct = flag.Bool("correct", false, "check every answer (no planted bugs)")

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "goclient:", err)
		os.Exit(1)
	}
}

type card struct{ *scard.Card }

// send returns the data of an answer ending 90 00, or an error.
func (c card) send(apdu ...byte) ([]byte, error) {
	r, err := c.Transmit(apdu)
	if err != nil {
		return nil, err
	}
	if len(r) < 2 || r[len(r)-2] != 0x90 || r[len(r)-1] != 0x00 {
		return nil, fmt.Errorf("answer %X", r)
	}
	return r[:len(r)-2], nil
}

func run() error {
	ctx, err := scard.EstablishContext()
	if err != nil {
		return err
	}
	defer ctx.Release()
	sc, err := ctx.Connect(os.Getenv("MYNACARD_READER"), scard.ShareShared, scard.ProtocolAny)
	if err != nil {
		return err
	}
	defer sc.Disconnect(scard.LeaveCard)
	c := card{sc}
	if _, err := c.send(0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01); err != nil {
		return err
	}
	if _, err := c.send(0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x08); err != nil {
		return err
	}
	present, err := c.send(0x00, 0xB0, 0x00, 0x00, 0x03)
	if err != nil {
		return err
	}
	if *correct && len(present) < 3 {
		return errors.New("EF 0008 is shorter than 3 bytes")
	}
	fmt.Printf("sign certificate: %t, auth certificate: %t\n", present[0] == 0x8F, present[1] == 0x8F)

	for _, apdu := range [][]byte{
		{0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x08},
		{0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x11},
		{0x00, 0x20, 0x00, 0x80, 0x04, '1', '2', '3', '4'}, // the default persona's text PIN
		{0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x02},
	} {
		if _, err := c.send(apdu...); err != nil {
			return err
		}
	}
	head, err := c.send(0x00, 0xB0, 0x00, 0x00, 0x03)
	if err != nil {
		return err
	}
	if len(head) < 3 || head[0] != 0xFF || head[1] != 0x20 {
		return fmt.Errorf("EF 0002 starts %X, not FF 20", head)
	}
	total := 3 + int(head[2])
	var record []byte
	for off := 3; off < total; {
		r, err := c.Transmit([]byte{0x00, 0xB0, byte(off >> 8), byte(off), byte(min(total-off, 0xFF))})
		if err != nil {
			return err
		}
		if len(r) < 2 {
			return fmt.Errorf("answer %X", r)
		}
		data := r[:len(r)-2]
		if *correct && (r[len(r)-2] != 0x90 || len(data) == 0) {
			return fmt.Errorf("EF 0002 at %d: answer %X", off, r)
		}
		record = append(record, data...)
		off += len(data)
	}
	fmt.Printf("basic attributes: %d bytes\n", len(record))
	return nil
}
