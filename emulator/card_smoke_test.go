package emulator

import "testing"

func TestNewTestState(t *testing.T) {
	c, err := New(NewTestState(t))
	if err != nil {
		t.Fatal(err)
	}
	if r := c.Transmit([]byte{0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01}); string(r) != "\x90\x00" {
		t.Fatalf("% X", r)
	}
}
