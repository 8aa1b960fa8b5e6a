package emulator

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/internal/logging"
)

func TestDebugLogOneLinePerAPDUWithoutSecrets(t *testing.T) {
	var buf bytes.Buffer
	l, err := logging.New(&buf, logging.Options{Level: "debug"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(NewTestState(t), WithLogger(l))
	if err != nil {
		t.Fatal(err)
	}
	cmds := []string{selJPKI, selEF(0x0018), verifyCmd(testAuthPIN), "00 24 01 80 04 39383736", "00 B0 00 00 04", selEF(0x000A), "00 B0 00 00 04"}
	var dataLens []int
	for _, cmd := range cmds {
		dataLens = append(dataLens, len(c.Transmit(h(cmd)))-2)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != len(cmds) {
		t.Fatalf("%d log lines for %d APDUs:\n%s", len(lines), len(cmds), buf.String())
	}
	for i, line := range lines {
		if want := fmt.Sprintf("resp_len=%d ", dataLens[i]); !strings.Contains(line, want) {
			t.Errorf("line %d lacks %q: %s", i, want, line)
		}
	}
	for _, want := range []string{"SELECT AP jpki", "VERIFY current EF data 4 bytes [REDACTED]", "sw=\"9000 (OK)\"", "duration="} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, buf.String())
		}
	}
	for _, secret := range []string{"1234", "31323334", "9876", "39383736"} {
		if strings.Contains(buf.String(), secret) {
			t.Errorf("log shows secret %q:\n%s", secret, buf.String())
		}
	}
}

// Commands from many goroutines are serialised: the counter falls by
// exactly the number of wrong attempts.
func TestConcurrentTransmit(t *testing.T) {
	c, _ := newTestCard(t)
	c.Transmit(h(selVisual))
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Transmit(h("00 20 00 92 0E 3030303030303030303030303030"))
			c.Transmit(h("00 B0 84 00 04"))
			c.Snapshot()
		}()
	}
	wg.Wait()
	mustSW(t, c.Transmit(h("00 20 00 92")), apdu.RetriesLeft(5))
}
