package emulator

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// App names one application (AP) of the card. AppNone is the state after
// reset, when no AP is selected (the card manager).
type App uint8

const (
	AppNone   App = iota
	AppJPKI       // 公的個人認証AP
	AppText       // 券面事項入力補助AP
	AppVisual     // 券面事項確認AP
	AppJuki       // 住基AP
	AppCommon     // 共通カードAP
)

// Apps lists the selectable applications in a stable order.
func Apps() []App { return []App{AppJPKI, AppText, AppVisual, AppJuki, AppCommon} }

var appInfo = [...]struct {
	name string
	aid  []byte
}{
	AppNone:   {"none", nil},
	AppJPKI:   {"jpki", []byte{0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01}},
	AppText:   {"text", []byte{0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x08}},
	AppVisual: {"visual", []byte{0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x02}},
	AppJuki:   {"juki", []byte{0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x01}},
	AppCommon: {"common", []byte{0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x01, 0x00}},
}

// AID returns a copy of the application identifier (DF name) of a.
func (a App) AID() []byte { return bytes.Clone(a.aid()) }

// aid is a's AID itself, for the card's own use: never handed out.
func (a App) aid() []byte {
	if int(a) >= len(appInfo) {
		return nil
	}
	return appInfo[a].aid
}

func (a App) String() string {
	if int(a) >= len(appInfo) {
		return "app(" + strconv.Itoa(int(a)) + ")"
	}
	return appInfo[a].name
}

// AppByAID finds the application whose AID equals aid.
func AppByAID(aid []byte) (App, bool) {
	for _, a := range Apps() {
		if bytes.Equal(a.aid(), aid) {
			return a, true
		}
	}
	return AppNone, false
}

// ParseApp reads an application name as String writes it.
func ParseApp(s string) (App, error) {
	for _, a := range Apps() {
		if a.String() == s {
			return a, nil
		}
	}
	return AppNone, fmt.Errorf("emulator: unknown application %q (want one of jpki, text, visual, juki, common)", s)
}

// FileRef names an EF or key reference: an application and a 2-byte FID
// (Ref). It is a number so that the well-known references are constants.
// Its text form, used as a JSON key in card files, is "jpki/000A".
type FileRef uint32

// Ref is the reference to FID fid in application a.
func Ref(a App, fid uint16) FileRef { return FileRef(a)<<16 | FileRef(fid) }

// App is the application r belongs to.
func (r FileRef) App() App { return App(r >> 16) }

// FID is r's file identifier within its application.
func (r FileRef) FID() uint16 { return uint16(r) }

func (r FileRef) String() string { return fmt.Sprintf("%s/%04X", r.App(), r.FID()) }

func (r FileRef) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

func (r *FileRef) UnmarshalText(b []byte) error {
	app, fid, ok := strings.Cut(string(b), "/")
	if !ok {
		return fmt.Errorf("emulator: file reference %q: want app/FID, e.g. jpki/000A", b)
	}
	a, err := ParseApp(app)
	if err != nil {
		return fmt.Errorf("emulator: file reference %q: %w", b, err)
	}
	n, err := strconv.ParseUint(fid, 16, 16)
	if err != nil || len(fid) != 4 {
		return fmt.Errorf("emulator: file reference %q: FID must be 4 hex digits", b)
	}
	*r = Ref(a, uint16(n))
	return nil
}

// The applications' high halves of a FileRef.
const (
	jpki   = FileRef(AppJPKI) << 16
	text   = FileRef(AppText) << 16
	visual = FileRef(AppVisual) << 16
	juki   = FileRef(AppJuki) << 16
	common = FileRef(AppCommon) << 16
)

// Well-known files and key references (card.md §4).
const (
	JPKISignCert     FileRef = jpki | 0x0001
	JPKISignCACert   FileRef = jpki | 0x0002
	JPKIToken        FileRef = jpki | 0x0006
	JPKICertStatus   FileRef = jpki | 0x0008
	JPKIAuthCert     FileRef = jpki | 0x000A
	JPKIAuthCACert   FileRef = jpki | 0x000B
	JPKIAuthKey      FileRef = jpki | 0x0017
	JPKIAuthPIN      FileRef = jpki | 0x0018
	JPKISignKey      FileRef = jpki | 0x001A
	JPKISignPassword FileRef = jpki | 0x001B

	TextMyNumber   FileRef = text | 0x0001
	TextAttributes FileRef = text | 0x0002
	TextIntegrity  FileRef = text | 0x0003
	TextCVCert     FileRef = text | 0x0004
	TextBasicInfo  FileRef = text | 0x0005
	TextSMKey      FileRef = text | 0x0006 // public key SET SESSION KEY is enciphered to
	TextPIN        FileRef = text | 0x0011
	TextBlockedKey FileRef = text | 0x0012
	TextAPKey      FileRef = text | 0x0013
	TextPINA       FileRef = text | 0x0014 // 照合番号A
	TextPINB       FileRef = text | 0x0015 // 照合番号B

	VisualAgeRecord FileRef = visual | 0x0001
	VisualCardFace  FileRef = visual | 0x0002
	VisualBasicInfo FileRef = visual | 0x0003
	VisualCVCert    FileRef = visual | 0x0004
	VisualMyNumber  FileRef = visual | 0x0005
	VisualDOBKey    FileRef = visual | 0x0011
	VisualPINB      FileRef = visual | 0x0012 // 照合番号B
	VisualPINA      FileRef = visual | 0x0013 // 照合番号A
	VisualAPKey     FileRef = visual | 0x001A

	JukiPIN      FileRef = juki | 0x001C
	CommonSerial FileRef = common | 0x0001
	CommonIAKey  FileRef = common | 0x0019
	CommonPIN    FileRef = common | 0x001C
)
