package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/cardfile"
	"github.com/mynacard/mynacard/internal/logging"
	"github.com/mynacard/mynacard/vpcd"
	"github.com/mynacard/mynacard/vpcd/control"
	"github.com/sirupsen/logrus"
)

func init() {
	register(command{name: "serve", summary: "serve card files to PC/SC readers through vpcd", run: runServe})
}

// maxSlots is what one pcscd offers: PCSCLITE_MAX_READERS_CONTEXTS.
const maxSlots = 16

// servedCard is one card file on one vpcd slot.
type servedCard struct {
	path   string
	slot   int
	card   *emulator.Card
	unlock func() error
	srv    *vpcd.Server
	ctl    *control.Card
}

func runServe(e *env, args []string) error {
	fs := newFlags(e, "serve", "[flags] CARD.json... (or --slots a.json,b.json)")
	first := fs.Int("slot", 0, "vpcd slot of the first card; further cards take the next slots")
	list := fs.String("slots", "", "comma-separated card `files`, served on consecutive slots")
	reversed := fs.String("reversed", "", "listen on `ADDR` (host:port) for vpcd to connect, slot n on port+n (reader.conf DEVICENAME host:port)")
	port := fs.Int("port", vpcd.DefaultPort, "vpcd port of slot 0 (reader.conf CHANNELID); slot n is on port+n")
	level := fs.String("log-level", "info", "log level: debug (one line per APDU), info, warn or error")
	jsonLog := fs.Bool("log-json", false, "log JSON objects instead of key=value text")
	hostileFlag := fs.String("hostile", "", "mutate one answer in 4 from `SEED` (a number) to fuzz host software; each mutation is logged (docs/fuzzing.md)")
	paths, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *list != "" {
		for _, p := range strings.Split(*list, ",") {
			if p = strings.TrimSpace(p); p == "" {
				return usagef("--slots %q has an empty file name", *list)
			}
			paths = append(paths, p)
		}
	}
	switch {
	case len(paths) == 0:
		return usagef("no card file given")
	case *first < 0 || *first+len(paths) > maxSlots:
		return usagef("%d card(s) from slot %d do not fit slots 0-%d", len(paths), *first, maxSlots-1)
	case *reversed == "" && (*port < 1 || *port+*first+len(paths)-1 > 0xFFFF):
		return usagef("--port %d: slots would need ports outside 1-65535", *port)
	}
	host, revPort := "", 0
	if *reversed != "" {
		h, p, err := net.SplitHostPort(*reversed)
		n, perr := strconv.Atoi(p)
		if err != nil || perr != nil || n < 1 || n+len(paths)-1 > 0xFFFF {
			return usagef("--reversed %q: want host:port with room for %d port(s)", *reversed, len(paths))
		}
		host, revPort = h, n
	}
	var hostileSeed uint64
	if *hostileFlag != "" {
		if hostileSeed, err = strconv.ParseUint(*hostileFlag, 10, 64); err != nil {
			return usagef("--hostile %q: want a number", *hostileFlag)
		}
	}
	for i, p := range paths {
		if slices.Contains(paths[:i], p) {
			return usagef("card file %s given twice", p)
		}
	}
	log, err := logging.New(e.stderr, logging.Options{Level: *level, JSON: *jsonLog})
	if err != nil {
		return usagef("%v", err)
	}

	cards := make([]*servedCard, 0, len(paths))
	defer func() {
		for _, c := range cards {
			c.unlock()
		}
	}()
	for i, p := range paths {
		sc, err := openCard(p, *first+i, log)
		if err != nil {
			return err
		}
		cards = append(cards, sc)
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(*port+sc.slot))
		if *reversed != "" {
			addr = net.JoinHostPort(host, strconv.Itoa(revPort+i))
		}
		sc.ctl = control.NewCard(p, vpcd.ReaderName(sc.slot), sc.card, addr, sc.logger(log))
		sc.srv = sc.ctl.Server
		sc.srv.Reversed = *reversed != ""
		if *hostileFlag != "" {
			// Each slot gets its own stream of mutations, replayable from
			// the seed and the slot.
			seed := hostileSeed + uint64(i)
			sc.ctl.SetHostile(&seed)
		}
	}
	ctls, err := listenControl(cards, log)
	if err != nil {
		return err
	}
	// Handle signals before the slot lines announce the server: whoever
	// waits for them may signal at once, and SIGUSR1 unhandled would kill.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	usr1 := make(chan os.Signal, 1)
	notifyToggle(usr1)
	defer signal.Stop(usr1)
	printSlots(e, cards, *reversed != "", *port)
	return serveCards(ctx, e, cards, ctls, usr1, log)
}

// listenControl opens each card's control socket beside its file, so that
// `mynacard ctl CARD.json` reaches it.
func listenControl(cards []*servedCard, log logrus.FieldLogger) ([]*control.Server, error) {
	var srvs []*control.Server
	for _, c := range cards {
		path, err := control.SocketPath(c.path)
		var s *control.Server
		if err == nil {
			s, err = control.Listen(path, []*control.Card{c.ctl}, c.logger(log))
		}
		if err != nil {
			for _, s := range srvs {
				s.Close()
			}
			return nil, err
		}
		srvs = append(srvs, s)
	}
	return srvs, nil
}

func (sc *servedCard) logger(l logrus.FieldLogger) logrus.FieldLogger {
	return l.WithFields(logrus.Fields{"card": sc.path, "slot": sc.slot})
}

func openCard(path string, slot int, log logrus.FieldLogger) (*servedCard, error) {
	sc := &servedCard{path: path, slot: slot}
	var err error
	sc.card, sc.unlock, err = openCardFile(path, emulator.WithLogger(sc.logger(log)))
	if err != nil {
		return nil, err
	}
	return sc, nil
}

func printSlots(e *env, cards []*servedCard, reversed bool, port int) {
	needConf := false
	for _, c := range cards {
		if reversed {
			fmt.Fprintf(e.stdout, "slot %d: %s, waiting for vpcd on %s\n", c.slot, c.path, c.srv.Addr)
			continue
		}
		fmt.Fprintf(e.stdout, "slot %d: %s on reader %q (vpcd port %s)\n", c.slot, c.path, vpcd.ReaderName(c.slot), c.srv.Addr)
		needConf = needConf || c.slot >= vpcd.SlotsPerReader || port != vpcd.DefaultPort
	}
	if needConf {
		// Debian's stock reader.conf declares only slots 0 and 1 on the
		// default port; anything else needs these entries.
		entries := (cards[len(cards)-1].slot + vpcd.SlotsPerReader) / vpcd.SlotsPerReader
		drivers := []string{vpcd.DriverPath}
		fmt.Fprintf(e.stdout, "\nthese slots need pcscd readers: as root run\n\n")
		for i := 1; i < entries; i++ {
			drivers = append(drivers, fmt.Sprintf("/usr/local/lib/pcsc/libifdvpcd-%d.so", i))
			fmt.Fprintf(e.stdout, "  install -D %s %s\n", vpcd.DriverPath, drivers[i])
		}
		fmt.Fprintf(e.stdout, "\nthen replace /etc/reader.conf.d/vpcd with the following and restart pcscd:\n\n%s", vpcd.ReaderConf(port, drivers))
	}
}

// serveCards runs every card until ctx ends (SIGINT or SIGTERM), toggling
// removal of all cards on each value from usr1, then saves each card's
// state.
func serveCards(ctx context.Context, e *env, cards []*servedCard, ctls []*control.Server, usr1 <-chan os.Signal, fl logrus.FieldLogger) error {
	log := logging.Wrap(fl)
	ctx, cancel := context.WithCancelCause(ctx)
	var wg sync.WaitGroup
	for _, s := range ctls {
		wg.Go(func() { s.Serve(ctx) })
	}
	for _, c := range cards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.srv.Run(ctx); err != nil {
				cancel(fmt.Errorf("slot %d (%s): %w", c.slot, c.path, err))
			}
		}()
	}
	log.Info("serving; "+toggleHelp+"SIGINT or SIGTERM stops", logging.Fields{"cards": len(cards)})
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-usr1:
			inserted := !cards[0].srv.Inserted()
			for _, c := range cards {
				if inserted {
					c.srv.Insert()
				} else {
					c.srv.Remove()
				}
			}
			state := "removed"
			if inserted {
				state = "inserted"
			}
			fmt.Fprintf(e.stdout, "cards %s\n", state)
			log.Info("cards "+state, nil)
		}
	}
	cancel(nil)
	wg.Wait()

	var errs []error
	for _, c := range cards {
		// Every change was saved when it happened; this save makes the
		// file match the card even if one of those failed.
		if err := (cardfile.Store{Path: c.path}).Save(c.card.Snapshot()); err != nil {
			errs = append(errs, err)
		}
	}
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		errs = append([]error{err}, errs...)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	log.Info("stopped; card state saved", nil)
	return nil
}

// parseInterspersed parses flags that may follow positional arguments
// ("serve card.json --slot 1"), which flag alone stops at.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}
