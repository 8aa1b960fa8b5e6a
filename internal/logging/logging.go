// Package logging is how mynacard writes to a logrus.FieldLogger: the
// exported APIs take any logrus logger, and Wrap puts it behind lines that
// always have named fields, which is where redaction hooks in.
package logging

import (
	"fmt"
	"io"
	"strings"

	"github.com/sirupsen/logrus"
)

// Fields are the structured key/value pairs of one log line.
type Fields map[string]any

// Logger writes structured lines to a logrus.FieldLogger. The zero value
// is not usable; call Wrap.
type Logger struct {
	l     logrus.FieldLogger
	debug bool
}

// Options chooses where and how New's logger writes.
type Options struct {
	Level string // debug, info, warn, error; "" means info
	JSON  bool   // one JSON object per line instead of key=value text
}

// New returns a logrus logger writing to w, for the command line.
func New(w io.Writer, opt Options) (*logrus.Logger, error) {
	l := logrus.New()
	l.SetOutput(w)
	lvl := logrus.InfoLevel
	if opt.Level != "" {
		var err error
		if lvl, err = logrus.ParseLevel(strings.ToLower(opt.Level)); err != nil {
			return nil, fmt.Errorf("logging: level %q: want debug, info, warn or error", opt.Level)
		}
	}
	l.SetLevel(lvl)
	if opt.JSON {
		l.SetFormatter(&logrus.JSONFormatter{})
	} else {
		l.SetFormatter(&logrus.TextFormatter{DisableColors: true, FullTimestamp: true})
	}
	return l, nil
}

// discard is what a nil logger becomes: one for all, since cards are made
// per fuzz input.
var discard = func() *Logger {
	l := logrus.New()
	l.SetOutput(io.Discard)
	l.SetLevel(logrus.ErrorLevel)
	return &Logger{l: l}
}()

// Wrap writes to l; a nil l writes nothing.
func Wrap(l logrus.FieldLogger) *Logger {
	if l == nil {
		return discard
	}
	return &Logger{l: l, debug: debugEnabled(l)}
}

// debugEnabled asks logrus's own types for their level; any other
// FieldLogger may want every line.
func debugEnabled(l logrus.FieldLogger) bool {
	switch l := l.(type) {
	case *logrus.Logger:
		return l.IsLevelEnabled(logrus.DebugLevel)
	case *logrus.Entry:
		return l.Logger.IsLevelEnabled(logrus.DebugLevel)
	}
	return true
}

// With returns a Logger that adds f to every line.
func (l *Logger) With(f Fields) *Logger {
	return &Logger{l: l.l.WithFields(f.logrus()), debug: l.debug}
}

// DebugEnabled lets callers skip building fields for lines nobody will see.
func (l *Logger) DebugEnabled() bool { return l.debug }

func (l *Logger) Debug(msg string, f Fields) { l.l.WithFields(f.logrus()).Debug(msg) }
func (l *Logger) Info(msg string, f Fields)  { l.l.WithFields(f.logrus()).Info(msg) }
func (l *Logger) Warn(msg string, f Fields)  { l.l.WithFields(f.logrus()).Warn(msg) }
func (l *Logger) Error(msg string, f Fields) { l.l.WithFields(f.logrus()).Error(msg) }

// logrus converts fields for its formatter. The JSON formatter would
// encode a value with encoding/json, bypassing a type's redacting String
// method (emulator.Secret is a []byte: that would be the PIN in base64),
// so a value that says how it prints is logged as that text.
func (f Fields) logrus() logrus.Fields {
	out := make(logrus.Fields, len(f))
	for k, v := range f {
		if _, ok := v.(fmt.Stringer); ok {
			v = fmt.Sprint(v) // fmt also survives a nil receiver
		}
		out[k] = v
	}
	return out
}
