package emulator

import (
	"crypto/rsa"
	"fmt"
)

// The card's file system (card.md §4): which EFs each application has, what
// kind each is and what opens it. The table is fixed by card.md; a card
// file only supplies contents (State.Files, State.Keys, State.PINs).

// efKind says what an EF is and therefore which commands it answers.
type efKind uint8

const (
	efBinary   efKind = iota + 1 // transparent: READ BINARY
	efRecord                     // record EF of simple-TLV records: READ RECORD
	efInternal                   // selectable, holds nothing a command reads (MF 001E, JPKI 0016)
	efKey                        // private key: COMPUTE SIGNATURE / INTERNAL AUTHENTICATE
	efPIN                        // key reference: VERIFY
)

// cond is an access condition: free, opened by any one of a set of key
// references of the same application (bit n = FID n), or never.
type cond struct {
	free bool
	any  uint32
}

var (
	free  = cond{free: true}
	never = cond{}
)

// by returns the condition met when any of the key refs fids is verified.
func by(fids ...uint16) cond {
	var c cond
	for _, f := range fids {
		c.any |= 1 << f
	}
	return c
}

// met reports whether the verified key refs (a bit set like cond.any) open c.
func (c cond) met(verified uint32) bool { return c.free || c.any&verified != 0 }

// keyUse says which commands a key EF answers.
type keyUse uint8

const (
	useSign keyUse = 1 << iota // 80 2A COMPUTE SIGNATURE
	useIA                      // 00 88 INTERNAL AUTHENTICATE
)

// ef is one row of a file map.
type ef struct {
	fid    uint16
	name   string
	kind   efKind
	access cond // read access for binary/record EFs; use for keys
	use    keyUse
}

// maxFID bounds the FIDs the card knows (0001–001E, card.md §4) so the
// per-application tables and security status fit in fixed arrays.
const maxFID = 0x1F

// fileMaps are card.md's tables §4.1–4.5, plus the MF (§2) under AppNone.
var fileMaps = [...][]ef{
	AppNone: {
		{fid: 0x001E, name: "MF internal EF", kind: efInternal},
	},
	AppJPKI: {
		{fid: 0x0001, name: "sign cert", kind: efBinary, access: by(0x001B)},
		{fid: 0x0002, name: "sign CA cert", kind: efBinary, access: free},
		{fid: 0x0006, name: "token info", kind: efBinary, access: free},
		{fid: 0x0008, name: "cert status", kind: efBinary, access: free},
		{fid: 0x0009, name: "unknown", kind: efBinary, access: never},
		{fid: 0x000A, name: "auth cert", kind: efBinary, access: free},
		{fid: 0x000B, name: "auth CA cert", kind: efBinary, access: free},
		{fid: 0x0016, name: "terminal CA key", kind: efInternal},
		{fid: 0x0017, name: "auth key", kind: efKey, access: by(0x0018), use: useSign},
		{fid: 0x0018, name: "auth PIN", kind: efPIN},
		{fid: 0x001A, name: "sign key", kind: efKey, access: by(0x001B), use: useSign},
		{fid: 0x001B, name: "sign password", kind: efPIN},
	},
	AppText: {
		{fid: 0x0001, name: "My Number", kind: efBinary, access: by(0x0011, 0x0014)},
		{fid: 0x0002, name: "basic 4 attributes", kind: efBinary, access: by(0x0011, 0x0015)},
		{fid: 0x0003, name: "integrity record", kind: efBinary, access: by(0x0011, 0x0014, 0x0015)},
		{fid: 0x0004, name: "CV cert", kind: efBinary, access: free},
		{fid: 0x0005, name: "basic info", kind: efBinary, access: free},
		{fid: 0x0006, name: "SM key", kind: efBinary, access: by(0x0011, 0x0014, 0x0015)},
		{fid: 0x0007, name: "AP public key", kind: efBinary, access: by(0x0011, 0x0014, 0x0015)},
		// 0008's opener is unknown (spec "?"); like visual 0006, the
		// other filler EF, it opens with any of the AP's credentials.
		{fid: 0x0008, name: "filler", kind: efBinary, access: by(0x0011, 0x0014, 0x0015)},
		{fid: 0x0011, name: "PIN", kind: efPIN},
		{fid: 0x0012, name: "blocked key", kind: efPIN},
		{fid: 0x0013, name: "AP key", kind: efKey, access: free, use: useSign},
		{fid: 0x0014, name: "照合番号A", kind: efPIN},
		{fid: 0x0015, name: "照合番号B", kind: efPIN},
	},
	AppVisual: {
		{fid: 0x0001, name: "age record", kind: efBinary, access: by(0x0011)},
		{fid: 0x0002, name: "card face", kind: efBinary, access: by(0x0012, 0x0013)},
		{fid: 0x0003, name: "basic info", kind: efBinary, access: free},
		{fid: 0x0004, name: "CV cert", kind: efBinary, access: free},
		{fid: 0x0005, name: "My Number image", kind: efBinary, access: by(0x0013)},
		{fid: 0x0006, name: "filler", kind: efBinary, access: by(0x0012, 0x0013)},
		{fid: 0x0011, name: "birth date key", kind: efPIN},
		{fid: 0x0012, name: "照合番号B", kind: efPIN},
		{fid: 0x0013, name: "照合番号A", kind: efPIN},
		{fid: 0x001A, name: "AP key", kind: efKey, access: free, use: useSign},
	},
	AppJuki: {
		{fid: 0x0002, name: "key reference", kind: efRecord, access: free},
		{fid: 0x001C, name: "PIN", kind: efPIN},
	},
	AppCommon: {
		{fid: 0x0001, name: "serial", kind: efRecord, access: free},
		{fid: 0x0002, name: "key reference", kind: efRecord, access: free},
		{fid: 0x0019, name: "IA key", kind: efKey, access: free, use: useIA},
		{fid: 0x001C, name: "PIN", kind: efPIN},
	},
}

// lookupEF finds the table row of ref, whether or not the card holds
// contents for it.
func lookupEF(ref FileRef) (ef, bool) {
	if int(ref.App()) >= len(fileMaps) {
		return ef{}, false
	}
	for _, e := range fileMaps[ref.App()] {
		if e.fid == ref.FID() {
			return e, true
		}
	}
	return ef{}, false
}

// node is an EF as the running card sees it: its table row and contents.
type node struct {
	ef
	ref  FileRef
	data []byte          // binary and record EFs
	key  *rsa.PrivateKey // key EFs, parsed once; text 0006: State.SessionKey
	pin  *PIN            // key references; points into the State
	// absent marks an EF that is selectable although the card holds no
	// contents: the missing sign certificate and key under AbsentSignCert
	// "6982", and an EF no credential opens (JPKI 0009), whose contents no
	// command can observe. Reads and signing always answer 6982.
	absent bool
}

// fileSystem indexes a State for constant-time lookup by application and
// FID; it is rebuilt whenever an issuer operation changes the State.
type fileSystem [len(fileMaps)][maxFID]*node

// buildFS resolves the file maps against s, parsing each key once. EFs the
// state has no contents for do not exist (SELECT answers 6A82), except the
// sign certificate and key when Settings.AbsentSignCert keeps them
// selectable, and EFs that nothing opens: every card has JPKI 0009 (card.md
// §4.1), and its contents cannot matter.
func buildFS(s *State) (*fileSystem, error) {
	var fs fileSystem
	keepAbsent := s.Settings.AbsentSignCert == AbsentSignCert6982
	for app, efs := range fileMaps {
		for _, e := range efs {
			ref := Ref(App(app), e.fid)
			n := &node{ef: e, ref: ref}
			switch e.kind {
			case efBinary, efRecord:
				d, ok := s.Files[ref]
				switch {
				case ok:
					n.data = d
					if ref == TextSMKey && len(s.SessionKey) > 0 {
						k, err := parseKey(s.SessionKey)
						if err != nil {
							return nil, fmt.Errorf("session_key: %w", err)
						}
						n.key = k
					}
				case keepAbsent && ref == JPKISignCert, e.access == never:
					n.absent = true
				default:
					continue
				}
			case efKey:
				der, ok := s.Keys[ref]
				switch {
				case ok:
					k, err := parseKey(der)
					if err != nil {
						return nil, fmt.Errorf("key %v: %w", ref, err)
					}
					n.key = k
				case keepAbsent && ref == JPKISignKey:
					n.absent = true
				default:
					continue
				}
			case efPIN:
				p, ok := s.PINs[ref]
				if !ok || p == nil {
					continue
				}
				n.pin = p
			}
			fs[app][e.fid] = n
		}
	}
	return &fs, nil
}

// get returns the EF fid of app, or nil.
func (fs *fileSystem) get(app App, fid uint16) *node {
	if int(app) >= len(fs) || fid >= maxFID {
		return nil
	}
	return fs[app][fid]
}
