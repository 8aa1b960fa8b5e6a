// Package fuzz holds mynacard's fuzzing: native Go fuzz targets for the
// codecs and the card (in the _test.go files), a protocol oracle that checks
// a card's answers against the spec's invariants, a grammar-aware APDU
// fuzzer that drives any Target (the embedded emulator or a PC/SC reader),
// and Hostile, a card wrapper that mutates answers to fuzz host software.
package fuzz
