package emulator

// Checkpoint is what Restore needs to bring a card back to an earlier
// state. APDUs change only the secrets and retry counters (card.md §7) and
// the session; files and keys change only through Issue, which replaces
// the State instead of changing it. So a checkpoint keeps the State and its
// index as they were, and a copy of each PIN, and restoring one copies ten
// PINs back instead of cloning and recompiling the card (with its RSA keys).
type Checkpoint struct {
	state *State
	fs    *fileSystem
	pins  []savedPIN
}

type savedPIN struct {
	p *PIN
	v PIN
}

// Checkpoint records the card's current state for Restore.
func (c *Card) Checkpoint() *Checkpoint {
	c.mu.Lock()
	defer c.mu.Unlock()
	cp := &Checkpoint{state: c.state, fs: c.fs, pins: make([]savedPIN, 0, len(c.state.PINs))}
	for _, p := range c.state.PINs {
		// changeSecret replaces Value, never writes into it.
		cp.pins = append(cp.pins, savedPIN{p, *p})
	}
	return cp
}

// Restore puts the card back into the state of cp, taken from this card,
// and ends the session as a reset does. A card with a store saves it.
func (c *Card) Restore(cp *Checkpoint) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.state, c.fs = cp.state, cp.fs
	for _, s := range cp.pins {
		*s.p = s.v
	}
	c.resetSession()
	return c.persist()
}

// Inspect calls f with the card's live state, which f must only read:
// checks after every fuzz input cannot afford Snapshot's deep copy.
func (c *Card) Inspect(f func(*State)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f(c.state)
}
