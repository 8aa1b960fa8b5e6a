package emulator

import "testing"

// The file-system index answers nil, not a panic, for an application or a
// FID outside its tables (FIDs run 0001–001E, card.md §4).
func TestFileSystemGetOutsideTables(t *testing.T) {
	fs, err := buildFS(NewTestState(t))
	if err != nil {
		t.Fatal(err)
	}
	if fs.get(AppJPKI, JPKIAuthCert.FID()) == nil {
		t.Fatal("jpki/000A not found")
	}
	for _, tt := range []struct {
		app App
		fid uint16
	}{{App(len(fileMaps)), 0x0001}, {AppJPKI, maxFID}, {AppJPKI, 0xFFFF}} {
		if n := fs.get(tt.app, tt.fid); n != nil {
			t.Errorf("get(%v, %04X) = %v, want nil", tt.app, tt.fid, n.ref)
		}
	}
}
