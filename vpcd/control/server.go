package control

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/sirupsen/logrus"

	"github.com/mynacard/mynacard/internal/logging"
)

// maxLine bounds one request line; a longer one is refused, not buffered.
const maxLine = 64 << 10

// maxSocketPath is what a unix socket address holds (sun_path, less its NUL).
const maxSocketPath = 107

// SocketPath is the control socket of the card file at card: beside its
// lock, named after the file a symlink points to, as the lock is.
func SocketPath(card string) (string, error) {
	if p, err := filepath.EvalSymlinks(card); err == nil {
		card = p
	}
	p := card + ".ctl"
	if len(p) > maxSocketPath {
		return "", fmt.Errorf("control socket path %s is longer than the %d bytes a unix socket allows; move the card file to a shorter path", p, maxSocketPath)
	}
	return p, nil
}

// Server answers control requests for a set of cards, slot n being
// cards[n], on one unix socket.
type Server struct {
	Path  string
	cards []*Card
	log   *logging.Logger
	ln    *net.UnixListener

	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// Listen creates the socket at path, mode 0600, replacing a socket left by
// a process that died (the caller holds what makes path its own: the
// card's lock or a private directory). A nil log logs nothing.
func Listen(path string, cards []*Card, log logrus.FieldLogger) (*Server, error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != fs.ModeSocket {
			return nil, fmt.Errorf("control socket %s: a file that is not a socket is in the way; remove it", path)
		}
		os.Remove(path)
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("control socket: %w", err)
	}
	return &Server{Path: path, cards: cards, log: logging.Wrap(log), ln: ln, conns: map[net.Conn]struct{}{}}, nil
}

// Serve answers connections until ctx ends, then closes the socket, ends
// every connection, removes the socket file and returns.
func (s *Server) Serve(ctx context.Context) {
	stop := context.AfterFunc(ctx, func() { s.ln.Close() })
	defer stop()
	for {
		c, err := s.ln.AcceptUnix()
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
				s.log.Warn("control: accept failed; channel closed", logging.Fields{"err": err.Error()})
			}
			break
		}
		if err := samePeer(c); err != nil {
			s.log.Warn("control: connection refused", logging.Fields{"err": err.Error()})
			c.Close()
			continue
		}
		s.track(c, true)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer s.track(c, false)
			s.serveConn(c)
		}()
	}
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	os.Remove(s.Path)
}

// Close closes a socket that was never served, and removes its file.
func (s *Server) Close() {
	s.ln.Close()
	os.Remove(s.Path)
}

func (s *Server) track(c net.Conn, open bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if open {
		s.conns[c] = struct{}{}
		return
	}
	delete(s.conns, c)
	c.Close()
}

func (s *Server) serveConn(c net.Conn) {
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 4096), maxLine)
	enc := json.NewEncoder(c)
	for sc.Scan() {
		var resp Response
		var req Request
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			resp = fail(fmt.Errorf("bad request: %v; want one JSON object per line, e.g. {\"op\":\"status\"}", err))
		} else {
			resp = s.Do(req)
		}
		if enc.Encode(resp) != nil {
			return
		}
	}
	if errors.Is(sc.Err(), bufio.ErrTooLong) {
		enc.Encode(fail(fmt.Errorf("bad request: line longer than %d bytes", maxLine)))
	}
}

func fail(err error) Response { return Response{Error: err.Error()} }

// Do carries out one request.
func (s *Server) Do(r Request) Response {
	if r.Op == "status" {
		st := make([]Status, len(s.cards))
		for i, c := range s.cards {
			st[i] = c.status(i)
		}
		return Response{OK: true, Cards: st}
	}
	if r.Slot < 0 || r.Slot >= len(s.cards) {
		return fail(fmt.Errorf("slot %d: no such slot; this socket serves slots 0-%d", r.Slot, len(s.cards)-1))
	}
	c := s.cards[r.Slot]
	msg, err := c.do(r)
	// Ops and slots only: a request may carry a PIN.
	fields := logging.Fields{"op": r.Op, "slot": r.Slot}
	if err != nil {
		fields["err"] = err.Error()
		s.log.Info("control request refused", fields)
		return fail(fmt.Errorf("slot %d: %v", r.Slot, err))
	}
	s.log.Info("control: "+msg, fields)
	return Response{OK: true, Message: fmt.Sprintf("slot %d: %s", r.Slot, msg)}
}

func (c *Card) do(r Request) (string, error) {
	switch r.Op {
	case "remove":
		c.Server.Remove()
		return "card removed", nil
	case "insert":
		c.Server.Insert()
		return "card inserted", nil
	case "hostile":
		c.SetHostile(r.Seed)
		if r.Seed == nil {
			return "hostile answers off", nil
		}
		return fmt.Sprintf("hostile answers from seed %d", *r.Seed), nil
	case "tries":
		ref, err := keyRef(r.Key)
		if err != nil {
			return "", err
		}
		if r.Tries == nil {
			return "", fmt.Errorf("tries: give the number of tries left (\"tries\":N)")
		}
		if err := c.Card.SetTriesLeft(ref, *r.Tries); err != nil {
			return "", err
		}
		return fmt.Sprintf("%v has %d tries left", ref, *r.Tries), nil
	}
	if !slices.Contains(IssuerOps(), r.Op) {
		return "", fmt.Errorf("unknown op %q: want status, %s, tries, remove, insert or hostile", r.Op, strings.Join(IssuerOps(), ", "))
	}
	op, err := IssuerOp(r)
	if err != nil {
		return "", err
	}
	if err := c.Card.Issue(op); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s done; card kind %s", r.Op, c.Card.Snapshot().Kind), nil
}
