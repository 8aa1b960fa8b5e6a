// Package control changes the state of served cards while they stay in the
// reader: issuer operations, retry counters, removing and inserting a card,
// and hostile answers. `mynacard serve`, `mynacard run` and tests reach it
// through a unix socket, so every change goes through the process that
// serves the card and no two writers race on a card file.
//
// # Protocol
//
// The socket is mode 0600, and the server answers only peers of its own
// user id (on Linux, where the kernel reports it). A client writes one JSON
// object per line and reads one JSON object per line back, as many times as
// it likes on one connection:
//
//	{"op":"tries","slot":0,"key":"jpki/0018","tries":0}
//	{"ok":true,"message":"slot 0: jpki/0018 has 0 tries left"}
//
//	{"op":"remove","slot":3}
//	{"ok":false,"error":"slot 3: no such slot; this socket serves slots 0-1"}
//
// Ops and their fields:
//
//	status                   every card: slot, name, reader, kind, inserted, hostile seed
//	face-auth                make a face-auth card (issuer operation)
//	reverse                  end face-auth mode; pins: {"auth","text","juki","common"}, default the default persona's
//	unblock                  key, value (default the default persona's value for key)
//	issue-sign-cert          password (default the default persona's)
//	tries                    key, tries: set the retry counter, session kept
//	remove, insert           take the card out of its reader or put it back
//	hostile                  seed: mutate answers from seed; no seed: answer faithfully
//
// Issuer operations end the card's session, as a municipal terminal
// handing the card back does; tries, remove and hostile do not touch it.
// Requests carrying secrets are never logged.
package control
