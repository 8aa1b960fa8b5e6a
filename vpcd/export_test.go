package vpcd

import "time"

// SetQuickAck lets the external benchmarks compare links with and without
// TCP_QUICKACK.
func SetQuickAck(s *Server, on bool) { s.noQuickAck = !on }

// MaxBackoff lets the external tests wait out the redial backoff.
const MaxBackoff = maxBackoff

// SetAfter replaces the timer the Server's pauses wait on, so a test sees
// the schedule of delays asked for instead of measuring time.
func SetAfter(s *Server, after func(time.Duration) <-chan time.Time) { s.after = after }
