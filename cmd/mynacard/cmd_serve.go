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
	"time"

	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/cardfile"
	"github.com/mynacard/mynacard/fuzz/hostile"
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
	logAPDU := fs.Bool("log-apdu", false, "add each command's bytes to its debug line, PIN bytes masked (sets --log-level debug)")
	wait := fs.Duration("wait", 0, "fail if a card has no vpcd link after `D` (e.g. 10s); 0 waits for ever, warning after "+linkWarnAfter.String())
	hostileFlag := fs.String("hostile", "", "mutate answers from `SEED` (a number) to fuzz host software; each mutation is logged (docs/fuzzing.md)")
	hostileRate := fs.Int("hostile-rate", 4, "with --hostile, mutate one answer in `N` (1: every answer)")
	hostileSet := fs.String("hostile-mutations", "", "with --hostile, comma-separated `names` of the mutations to draw from (default all: "+strings.Join(hostile.Mutations(), ", ")+")")
	style := readerStyleFlag(fs)
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
	case *wait < 0:
		return usagef("--wait %v: want a positive duration, or 0 to wait for ever", *wait)
	case *reversed != "" && flagSet(fs, "port"):
		return usagef("--port is the port vpcd listens on; with --reversed the cards listen on the --reversed address")
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
	var hostileOpts []hostile.Option
	if *hostileFlag != "" {
		if hostileSeed, err = strconv.ParseUint(*hostileFlag, 10, 64); err != nil {
			return usagef("--hostile %q: want a number", *hostileFlag)
		}
		if hostileOpts, err = hostileOptions(*hostileRate, *hostileSet); err != nil {
			return err
		}
	} else if flagSet(fs, "hostile-rate") || flagSet(fs, "hostile-mutations") {
		return usagef("--hostile-rate and --hostile-mutations go with --hostile SEED")
	}
	for i, p := range paths {
		if slices.Contains(paths[:i], p) {
			return usagef("card file %s given twice", p)
		}
	}
	var cardOpts []emulator.Option
	if *logAPDU {
		if flagSet(fs, "log-level") && *level != "debug" {
			return usagef("--log-apdu adds to the debug lines; --log-level %s would hide them", *level)
		}
		*level = "debug"
		cardOpts = append(cardOpts, emulator.WithAPDUHex())
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
		sc, err := openCard(p, *first+i, log, cardOpts...)
		if err != nil {
			return err
		}
		cards = append(cards, sc)
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(*port+sc.slot))
		if *reversed != "" {
			addr = net.JoinHostPort(host, strconv.Itoa(revPort+i))
		}
		sc.ctl = control.NewCard(p, vpcd.ReaderName(sc.slot), sc.card, addr, *style, sc.logger(log))
		sc.srv = sc.ctl.Server
		sc.srv.Reversed = *reversed != ""
		if *hostileFlag != "" {
			// Each slot gets its own stream of mutations, replayable from
			// the seed and the slot.
			seed := hostileSeed + uint64(i)
			sc.ctl.SetHostile(&seed, hostileOpts...)
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
	return serveCards(ctx, e, cards, ctls, usr1, log, *wait)
}

// hostileOptions checks the --hostile-rate and --hostile-mutations flags.
func hostileOptions(rate int, set string) ([]hostile.Option, error) {
	if rate < 1 {
		return nil, usagef("--hostile-rate %d: want 1 or more", rate)
	}
	opts := []hostile.Option{hostile.WithRate(rate)}
	if set == "" {
		return opts, nil
	}
	names := strings.Split(set, ",")
	for _, n := range names {
		if !slices.Contains(hostile.Mutations(), n) {
			return nil, usagef("--hostile-mutations: unknown mutation %q (want %s)", n, strings.Join(hostile.Mutations(), ", "))
		}
	}
	return append(opts, hostile.WithMutations(names...)), nil
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

func openCard(path string, slot int, log logrus.FieldLogger, opts ...emulator.Option) (*servedCard, error) {
	sc := &servedCard{path: path, slot: slot}
	var err error
	sc.card, sc.unlock, err = openCardFile(path, append([]emulator.Option{emulator.WithLogger(sc.logger(log))}, opts...)...)
	if err != nil {
		return nil, err
	}
	return sc, nil
}

func printSlots(e *env, cards []*servedCard, reversed bool, port int) {
	for _, c := range cards {
		if reversed {
			fmt.Fprintf(e.stdout, "slot %d: %s, waiting for vpcd on %s\n", c.slot, c.path, c.srv.Addr)
			continue
		}
		// No reader is named yet: which one pcscd shows depends on its
		// reader.conf, and no vpcd may be listening at all.
		fmt.Fprintf(e.stdout, "slot %d: %s, dialling vpcd on %s\n", c.slot, c.path, c.srv.Addr)
	}
	if !reversed {
		printReaderConf(e, cards[len(cards)-1].slot, port)
	}
}

// printReaderConf says which reader.conf entries pcscd needs beyond
// Debian's stock one, which declares slots 0 and 1 on the default port.
// The advice adds a file and keeps the stock one (and its slots).
func printReaderConf(e *env, lastSlot, port int) {
	first := 0 // the first entry to declare
	if port == vpcd.DefaultPort {
		first = 1
	}
	entries := lastSlot/vpcd.SlotsPerReader + 1
	if first >= entries {
		return
	}
	// Every entry needs its own copy of the driver file (vpcd.ReaderConf)
	// and a name of its own; numbering them after the stock entry, from
	// 1, gives both.
	var drivers []string
	for i := range entries - first {
		drivers = append(drivers, fmt.Sprintf("/usr/local/lib/pcsc/libifdvpcd-%d.so", i+2))
	}
	fmt.Fprintf(e.stdout, "\nDebian's stock reader.conf declares vpcd slots 0 and 1 on port %d only. For these slots, as root:\n\n", vpcd.DefaultPort)
	for _, d := range drivers {
		fmt.Fprintf(e.stdout, "  install -D %s %s\n", vpcd.DriverPath, d)
	}
	fmt.Fprintf(e.stdout, "\nthen add the file /etc/reader.conf.d/mynacard (keep /etc/reader.conf.d/vpcd) with\n\n%s", vpcd.ReaderConfFrom(1, port+first*vpcd.SlotsPerReader, drivers))
	fmt.Fprintf(e.stdout, "and restart pcscd.\n")
}

// linkWarnAfter is how long serve waits for vpcd before it says why a
// card may not be showing up.
const linkWarnAfter = 5 * time.Second

// watchLink reports when vpcd first links to c, warns once after
// linkWarnAfter with the likely cause if it has not, and after wait (if
// not 0) gives up with that cause as the error.
func (c *servedCard) watchLink(ctx context.Context, e *env, log *logging.Logger, wait time.Duration) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	start, warned := time.Now(), false
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		served, _ := c.srv.Linked()
		if served {
			fmt.Fprintf(e.stdout, "slot %d: vpcd linked on %s\n", c.slot, c.srv.Addr)
			return nil
		}
		waited := time.Since(start)
		switch {
		case wait > 0 && waited >= wait:
			return fmt.Errorf("slot %d (%s): no vpcd link within %v: %s", c.slot, c.path, wait, c.linkTrouble())
		case !warned && waited >= linkWarnAfter:
			log.Warn("no vpcd link yet: "+c.linkTrouble(), logging.Fields{"waited": waited.Round(time.Second).String()})
			warned = true
		}
	}
}

// linkTrouble names the likely cause of a card vpcd has not linked to.
func (c *servedCard) linkTrouble() string {
	_, err := c.srv.Linked()
	var ne net.Error
	switch {
	case c.srv.Reversed:
		return fmt.Sprintf("nothing has connected to %s; is pcscd running with a vsmartcard-vpcd reader.conf entry whose DEVICENAME is %s?", c.srv.Addr, c.srv.Addr)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("nothing listens on %s; is pcscd running with vsmartcard-vpcd, and does its reader.conf declare slot %d's port?", c.srv.Addr, c.slot)
	case errors.As(err, &ne) && ne.Timeout(), err == nil:
		return fmt.Sprintf("vpcd on %s takes no frames to this card; another server (mynacard serve, vicc) probably holds slot %d", c.srv.Addr, c.slot)
	}
	return fmt.Sprintf("dialling %s: %v; is pcscd running with vsmartcard-vpcd?", c.srv.Addr, err)
}

// serveCards runs every card until ctx ends (SIGINT or SIGTERM), toggling
// removal of all cards on each value from usr1, then saves each card's
// state.
func serveCards(ctx context.Context, e *env, cards []*servedCard, ctls []*control.Server, usr1 <-chan os.Signal, fl logrus.FieldLogger, wait time.Duration) error {
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
		wg.Go(func() {
			if err := c.watchLink(ctx, e, log, wait); err != nil {
				cancel(err)
			}
		})
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
