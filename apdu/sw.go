package apdu

import "fmt"

// SW is a status word, SW1 in the high byte.
type SW uint16

// The status words a My Number card answers with (card.md §8).
const (
	SWOK                   SW = 0x9000
	SWWarnEOF              SW = 0x6282 // end of file reached before Ne bytes
	SWVerifyFail           SW = 0x63C0 // | tries left; 63C0 = counter exhausted
	SWVerifyFailUnlimited  SW = 0x6300
	SWMemoryFailure        SW = 0x6581 // the card could not write its memory (e.g. a counter)
	SWSecurityEnvFaulty    SW = 0x66F1
	SWWrongLength          SW = 0x6700
	SWChannelNotSupported  SW = 0x6881
	SWSMNotSupported       SW = 0x6882
	SWIncompatibleFile     SW = 0x6981
	SWSecurityNotSatisfied SW = 0x6982
	SWAuthBlocked          SW = 0x6984
	SWConditionsNotMet     SW = 0x6985
	SWNoCurrentEF          SW = 0x6986
	SWSMObjectsMissing     SW = 0x6987 // expected SM data objects missing
	SWSMObjectsIncorrect   SW = 0x6988 // SM data objects incorrect
	SWSMError              SW = 0x69FC
	SWWrongData            SW = 0x6A80
	SWFuncNotSupported     SW = 0x6A81
	SWFileNotFound         SW = 0x6A82
	SWRecordNotFound       SW = 0x6A83
	SWIncorrectP1P2        SW = 0x6A86
	SWDataNotFound         SW = 0x6A88
	SWWrongOffset          SW = 0x6B00
	SWINSNotSupported      SW = 0x6D00
	SWCLANotSupported      SW = 0x6E00
	SWUnknown              SW = 0x6F00
	SWWrongLe              SW = 0x6C00 // | the exact length
)

// ExactLength builds the 6Cxx answer naming the Le that fits n bytes.
func ExactLength(n int) SW { return SWWrongLe | SW(byte(n)) }

// RetriesLeft builds the 63Cx answer for n tries left (n is clamped to 0..15).
func RetriesLeft(n int) SW {
	n = max(0, min(n, 15))
	return SWVerifyFail | SW(n)
}

func (s SW) SW1() byte { return byte(s >> 8) }
func (s SW) SW2() byte { return byte(s) }

// Retries reports the tries left carried by a 63Cx status word.
func (s SW) Retries() (n int, ok bool) {
	if s&0xFFF0 != SWVerifyFail {
		return 0, false
	}
	return int(s & 0x0F), true
}

var swNames = map[SW]string{
	SWOK:                   "OK",
	SWWarnEOF:              "end of file reached",
	SWVerifyFailUnlimited:  "verification failed",
	SWMemoryFailure:        "memory failure",
	SWSecurityEnvFaulty:    "security environment faulty",
	SWWrongLength:          "wrong length",
	SWChannelNotSupported:  "logical channel not supported",
	SWSMNotSupported:       "secure messaging not supported",
	SWIncompatibleFile:     "command incompatible with file structure",
	SWSecurityNotSatisfied: "security status not satisfied",
	SWAuthBlocked:          "authentication method blocked",
	SWConditionsNotMet:     "conditions of use not satisfied",
	SWNoCurrentEF:          "no current EF",
	SWSMObjectsMissing:     "expected secure messaging data objects missing",
	SWSMObjectsIncorrect:   "secure messaging data objects incorrect",
	SWSMError:              "secure messaging error",
	SWWrongData:            "incorrect data",
	SWFuncNotSupported:     "function not supported",
	SWFileNotFound:         "file or application not found",
	SWRecordNotFound:       "record not found",
	SWIncorrectP1P2:        "incorrect P1-P2",
	SWDataNotFound:         "referenced data not found",
	SWWrongOffset:          "offset outside the EF",
	SWINSNotSupported:      "instruction not supported",
	SWCLANotSupported:      "class not supported",
	SWUnknown:              "no precise diagnosis",
}

// Name describes the status word in words.
func (s SW) Name() string {
	if n, ok := s.Retries(); ok {
		if n == 0 {
			return "verification failed, no tries left"
		}
		return fmt.Sprintf("verification failed, %d tries left", n)
	}
	if name, ok := swNames[s]; ok {
		return name
	}
	switch s.SW1() {
	case 0x61:
		return fmt.Sprintf("%d bytes still available", s.SW2())
	case 0x6C:
		return fmt.Sprintf("wrong Le, exact length %d", s.SW2())
	}
	return "unknown status"
}

// String gives the hex form and name, e.g. "63C2 (verification failed, 2 tries left)".
func (s SW) String() string { return fmt.Sprintf("%04X (%s)", uint16(s), s.Name()) }

// Error lets a non-9000 status word be returned as an error.
func (s SW) Error() string { return "card answered " + s.String() }
