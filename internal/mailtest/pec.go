package mailtest

// PEC makes the relay a PEC provider (see the package documentation).
func PEC(s *Server) { s.pec = true }

// FailDelivery makes the delivery to addr fail in PEC mode (errore-consegna).
func (s *Server) FailDelivery(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failing[addr] = true
}

func (s *Server) certify(from string, to []string, raw []byte) error {
	return s.deliver(from, to, s.altered(raw))
}
