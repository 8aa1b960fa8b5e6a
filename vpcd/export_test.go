package vpcd

// SetQuickAck lets the external benchmarks compare links with and without
// TCP_QUICKACK.
func SetQuickAck(s *Server, on bool) { s.noQuickAck = !on }

// MaxBackoff lets the external tests wait out the redial backoff.
const MaxBackoff = maxBackoff
