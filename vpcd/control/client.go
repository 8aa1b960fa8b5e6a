package control

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"time"
)

// Client is a connection to a control socket.
type Client struct {
	c net.Conn
	r *bufio.Reader
}

// Dial connects to the control socket at path.
func Dial(path string) (*Client, error) {
	c, err := net.DialTimeout("unix", path, 5*time.Second)
	if err != nil {
		return nil, fmt.Errorf("control socket %s: %w (is the card served by mynacard serve or run?)", path, err)
	}
	return &Client{c: c, r: bufio.NewReader(c)}, nil
}

// Close ends the connection.
func (cl *Client) Close() error { return cl.c.Close() }

// Do sends r and returns the answer; a refused request is an error with
// the server's message.
func (cl *Client) Do(r Request) (Response, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return Response{}, err
	}
	if _, err := cl.c.Write(append(b, '\n')); err != nil {
		return Response{}, fmt.Errorf("control: %w", err)
	}
	line, err := cl.r.ReadBytes('\n')
	if err != nil {
		return Response{}, fmt.Errorf("control: no answer: %w", err)
	}
	var resp Response
	if err := json.Unmarshal(line, &resp); err != nil {
		return Response{}, fmt.Errorf("control: bad answer %q: %w", line, err)
	}
	if !resp.OK {
		return resp, errors.New(resp.Error)
	}
	return resp, nil
}

// Do dials path, sends one request and hangs up.
func Do(path string, r Request) (Response, error) {
	cl, err := Dial(path)
	if err != nil {
		return Response{}, err
	}
	defer cl.Close()
	return cl.Do(r)
}
