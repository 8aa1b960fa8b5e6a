package vpcd

// SetQuickAck lets the external benchmarks compare links with and without
// TCP_QUICKACK.
func SetQuickAck(s *Server, on bool) { s.noQuickAck = !on }
