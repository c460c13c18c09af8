package ui

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/gputop/gputop/model"
)

// sevRank orders severities, most severe (0) first.
func sevRank(s model.Severity) int {
	switch s {
	case model.SevError:
		return 0
	case model.SevWarn:
		return 1
	}
	return 2
}

// sevFilter is the event log's severity filter: everything, warnings and
// errors, or errors only.
type sevFilter int

const (
	sevAll sevFilter = iota
	sevWarnUp
	sevErrorOnly
)

func (f sevFilter) String() string {
	switch f {
	case sevWarnUp:
		return "warn and error"
	case sevErrorOnly:
		return "error"
	}
	return "all"
}

func (f sevFilter) keeps(s model.Severity) bool {
	switch f {
	case sevWarnUp:
		return sevRank(s) <= 1
	case sevErrorOnly:
		return sevRank(s) == 0
	}
	return true
}

// eventLog is the `e` overlay: every event the session kept, newest first,
// scrollable, filtered by severity and GPU. In a replay it shows the events
// up to the cursor.
type eventLog struct {
	*common
	size
	offset int       // first row shown
	sev    sevFilter // severity filter
	gpu    int       // GPU filter; -1 = every GPU
	rows   []int     // indexes into the visible events, newest first, filtered
}

func newEventLog(c *common) *eventLog { return &eventLog{common: c, gpu: -1} }

// filter recomputes the rows from the frame and clamps the scroll; the root
// calls it whenever the frame or a filter changes, so View only draws.
func (l *eventLog) filter() {
	evs := l.frame.visibleEvents()
	l.rows = l.rows[:0]
	for i := len(evs) - 1; i >= 0; i-- {
		ev := &evs[i]
		if !l.sev.keeps(ev.Severity) {
			continue
		}
		if l.gpu >= 0 && (!ev.GPU.OK || ev.GPU.V != l.gpu) {
			continue
		}
		l.rows = append(l.rows, i)
	}
	l.clamp()
}

// page is how many events one screen of the log shows.
func (l *eventLog) page() int { return max(l.height-4, 1) }

func (l *eventLog) clamp() {
	l.offset = min(l.offset, max(len(l.rows)-l.page(), 0))
	l.offset = max(l.offset, 0)
}

func (l *eventLog) SetSize(w, h int) {
	l.size.SetSize(w, h)
	l.clamp()
}

func (l *eventLog) Update(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return nil
	}
	k := l.keys
	if off, ok := k.scroll(km, l.offset, l.page(), len(l.rows)); ok {
		l.offset = off
		l.clamp()
		return nil
	}
	switch {
	case key.Matches(km, k.FilterSeverity):
		l.sev = (l.sev + 1) % 3
		l.offset = 0
		l.filter()
	case key.Matches(km, k.FilterGPU):
		// every GPU, then each GPU in turn
		l.gpu++
		if l.gpu >= len(l.frame.GPUs) {
			l.gpu = -1
		}
		l.offset = 0
		l.filter()
	}
	l.clamp()
	return nil
}

func (l *eventLog) ShortHelp() []key.Binding {
	scroll := l.keys.Down
	scroll.SetHelp("↑/↓ pgup/pgdn", "scroll")
	return []key.Binding{scroll, l.keys.FilterSeverity, l.keys.FilterGPU, l.keys.Back}
}

func (l *eventLog) FullHelp() [][]key.Binding {
	return [][]key.Binding{{l.keys.Up, l.keys.Down, l.keys.PageUp, l.keys.PageDown, l.keys.Home, l.keys.End},
		{l.keys.FilterSeverity, l.keys.FilterGPU, l.keys.Events, l.keys.Back}}
}

func (l *eventLog) View() string {
	if l.width < 10 || l.height < 3 {
		return fitBlock("", l.width, l.height)
	}
	st := l.styles
	gpu := "every GPU"
	if l.gpu >= 0 {
		gpu = "GPU " + strconv.Itoa(l.gpu)
	}
	total := len(l.frame.visibleEvents())
	head := st.title.render("EVENT LOG") + st.muted.render("  severity: ") + l.sev.String() +
		st.muted.render("  ·  ") + gpu + st.muted.render("  ·  "+strconv.Itoa(len(l.rows))+" of "+strconv.Itoa(total)+" events")
	if l.frame.cursor != 0 {
		head += st.muted.render("  ·  up to the replay cursor")
	}
	lines := []string{head, ""}
	loc := l.now().Location()
	end := min(l.offset+l.page(), len(l.rows))
	for _, i := range l.rows[l.offset:end] {
		lines = append(lines, st.eventLine(l.frame.visibleEvents()[i], loc))
	}
	if len(l.rows) == 0 {
		lines = append(lines, st.muted.render("no events match: f changes the severity, g the GPU"))
	}
	if len(l.rows) > l.page() {
		lines = append(lines, st.muted.render("events "+strconv.Itoa(l.offset+1)+"-"+strconv.Itoa(end)+" of "+
			strconv.Itoa(len(l.rows))+" (newest first)"))
	}
	return boxed(st.PaneFocused, strings.Join(lines, "\n"), l.width, l.height)
}

// pinnedEvents orders events for the small events pane: errors and
// warnings first (newest first), then the information (newest first), so a
// stream of info lines cannot push an error out of view.
func pinnedEvents(evs []model.Event, n int) []model.Event {
	out := make([]model.Event, 0, n)
	for pass := 0; pass < 2 && len(out) < n; pass++ {
		for i := len(evs) - 1; i >= 0 && len(out) < n; i-- {
			if (sevRank(evs[i].Severity) <= 1) == (pass == 0) {
				out = append(out, evs[i])
			}
		}
	}
	return out
}

// unseenAlert is the most severe event newer than what the user has seen
// (the newest among equals), and how many events are unseen.
func unseenAlert(evs []model.Event, seen model.Timestamp) (model.Event, int, bool) {
	var best model.Event
	found, n := false, 0
	for i := len(evs) - 1; i >= 0 && evs[i].Time > seen; i-- {
		n++
		if !found || sevRank(evs[i].Severity) < sevRank(best.Severity) {
			best, found = evs[i], true
		}
	}
	return best, n, found
}

// toggleEventLog opens or closes the event log; opening it marks every
// event up to now as seen.
func (m *Model) toggleEventLog() {
	if m.over == overlayEvents {
		m.over = overlayNone
		return
	}
	m.over = overlayEvents
	m.events.offset = 0
	m.eventsChanged()
}

// eventsChanged follows a new frame or cursor position: the log's rows, and
// what counts as seen while the log is open.
func (m *Model) eventsChanged() {
	if m.over != overlayEvents {
		return
	}
	m.events.filter()
	if evs := m.frame.visibleEvents(); len(evs) > 0 {
		m.seenEvents = max(m.seenEvents, evs[len(evs)-1].Time)
	}
}
