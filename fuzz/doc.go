// Package fuzz holds mynacard's fuzzing: native Go fuzz targets for the
// codecs and the card (in the _test.go files), a protocol oracle that checks
// a card's answers against card.md's invariants, a grammar-aware APDU
// fuzzer that drives any Target (the embedded emulator or a PC/SC reader).
// Hostile answers for host software are in fuzz/hostile.
package fuzz
