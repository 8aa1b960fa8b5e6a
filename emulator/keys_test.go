package emulator

import (
	"crypto/rsa"
	"strconv"
	"testing"
)

// A key is parsed once and shared by every card made from the same bytes,
// and the cache never grows past maxParsedKeys: once full, keys are parsed
// afresh rather than kept.
func TestParsedKeysBounded(t *testing.T) {
	s := NewTestState(t)
	parsedKeys.Lock()
	saved := parsedKeys.m
	parsedKeys.m = map[string]*rsa.PrivateKey{}
	for i := range maxParsedKeys - 1 {
		parsedKeys.m["filler "+strconv.Itoa(i)] = nil
	}
	parsedKeys.Unlock()
	t.Cleanup(func() {
		parsedKeys.Lock()
		parsedKeys.m = saved
		parsedKeys.Unlock()
	})
	parse := func(ref FileRef) *rsa.PrivateKey {
		k, err := parseKey(s.Keys[ref])
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	if first, again := parse(JPKIAuthKey), parse(JPKIAuthKey); first != again {
		t.Error("the auth key was parsed twice: not kept while the cache had room")
	}
	if first, again := parse(JPKISignKey), parse(JPKISignKey); first == again {
		t.Error("the sign key was kept in a full cache")
	}
	if n := len(parsedKeys.m); n != maxParsedKeys {
		t.Errorf("cache holds %d keys, want %d", n, maxParsedKeys)
	}
}
