package pcscd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ebfe/scard"
)

func listReaders() ([]string, error) {
	ctx, err := scard.EstablishContext()
	if err != nil {
		return nil, err
	}
	defer ctx.Release()
	return ctx.ListReaders()
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// WaitPresent waits until pcscd reports a card in every one of readers, or
// ctx ends.
func WaitPresent(ctx context.Context, readers []string) error {
	return waitCards(ctx, readers, true)
}

// WaitAbsent waits until pcscd reports every one of readers empty, or ctx
// ends: a card swapped in the reader must first be seen gone, or pcscd
// keeps the old card's ATR.
func WaitAbsent(ctx context.Context, readers []string) error {
	return waitCards(ctx, readers, false)
}

func waitCards(ctx context.Context, readers []string, present bool) error {
	pc, err := scard.EstablishContext()
	if err != nil {
		return fmt.Errorf("pcscd: %w", err)
	}
	defer pc.Release()
	rs := make([]scard.ReaderState, len(readers))
	for i, r := range readers {
		rs[i] = scard.ReaderState{Reader: r, CurrentState: scard.StateUnaware}
	}
	for {
		err := pc.GetStatusChange(rs, 100*time.Millisecond)
		if err != nil && !errors.Is(err, scard.ErrTimeout) {
			return fmt.Errorf("pcscd: waiting for cards: %w", err)
		}
		missing := []string{}
		for i := range rs {
			if (rs[i].EventState&scard.StatePresent != 0) != present {
				missing = append(missing, rs[i].Reader)
			}
			rs[i].CurrentState = rs[i].EventState &^ scard.StateChanged
		}
		if len(missing) == 0 {
			return nil
		}
		if ctx.Err() != nil && present {
			return fmt.Errorf("pcscd: no card in %q: %w", missing, context.Cause(ctx))
		}
		if ctx.Err() != nil {
			return fmt.Errorf("pcscd: a card stays in %q: %w", missing, context.Cause(ctx))
		}
	}
}
