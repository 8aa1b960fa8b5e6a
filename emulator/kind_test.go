package emulator

import (
	"strings"
	"testing"
)

// Every preset kind is valid; any other name is refused with the presets
// listed.
func TestKindValidate(t *testing.T) {
	for _, k := range Kinds() {
		if err := k.Validate(); err != nil {
			t.Errorf("%s: %v", k, err)
		}
	}
	for _, k := range []Kind{"", "Normal", "bogus"} {
		err := k.Validate()
		if err == nil || !strings.Contains(err.Error(), string(KindExpiredCerts)) {
			t.Errorf("Kind(%q).Validate() = %v, want an error listing the kinds", k, err)
		}
	}
}
