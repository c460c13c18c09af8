package sampler

// HistoryCap is how many fast samples the GPU keeps: History at the
// interval, at most 12,000. A reader that mirrors the history (the UI) needs
// no more.
func (g *GPU) HistoryCap() int {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.fast.Cap()
}
