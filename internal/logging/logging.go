// Package logging is the one seam between mynacard and its log library, so
// the rest of the code neither imports logrus nor can log a value without a
// field name (which is where redaction hooks in).
package logging

import (
	"fmt"
	"io"
	"strings"

	"github.com/sirupsen/logrus"
)

// Fields are the structured key/value pairs of one log line.
type Fields map[string]any

// Logger writes structured lines. The zero value is not usable; call New or Discard.
type Logger struct {
	entry *logrus.Entry
}

// Options chooses where and how a Logger writes.
type Options struct {
	Level string // debug, info, warn, error; "" means info
	JSON  bool   // one JSON object per line instead of key=value text
}

// New returns a Logger writing to w.
func New(w io.Writer, opt Options) (*Logger, error) {
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
	return &Logger{entry: logrus.NewEntry(l)}, nil
}

// Discard returns a Logger that writes nothing.
func Discard() *Logger {
	l, _ := New(io.Discard, Options{Level: "error"})
	return l
}

// With returns a Logger that adds f to every line.
func (l *Logger) With(f Fields) *Logger {
	return &Logger{entry: l.entry.WithFields(f.logrus())}
}

// DebugEnabled lets callers skip building fields for lines nobody will see.
func (l *Logger) DebugEnabled() bool { return l.entry.Logger.IsLevelEnabled(logrus.DebugLevel) }

func (l *Logger) Debug(msg string, f Fields) { l.entry.WithFields(f.logrus()).Debug(msg) }
func (l *Logger) Info(msg string, f Fields)  { l.entry.WithFields(f.logrus()).Info(msg) }
func (l *Logger) Warn(msg string, f Fields)  { l.entry.WithFields(f.logrus()).Warn(msg) }
func (l *Logger) Error(msg string, f Fields) { l.entry.WithFields(f.logrus()).Error(msg) }

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
