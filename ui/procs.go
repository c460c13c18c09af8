package ui

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/gputop/gputop/model"
)

// procSort is the column the process table is ordered by.
type procSort int

const (
	sortMem procSort = iota
	sortCPU
	sortPID
	sortUser
	sortCommand
	sortPeak
	sortSM
	sortRSS
	sortGPU
	sortCount
)

var procSortNames = [...]string{"memory", "CPU", "PID", "user", "command", "peak", "SM", "RSS", "GPU"}

// bigFirst: the quantities that read best largest first.
func (s procSort) bigFirst() bool {
	switch s {
	case sortMem, sortPeak, sortSM, sortCPU, sortRSS:
		return true
	}
	return false
}

func (s procSort) String() string { return procSortNames[s] }

// procKeys are the process table's own bindings. They live here rather
// than in KeyMap so the table is self-contained; none clashes with KeyMap.
type procKeys struct {
	Sort, Reverse, Kill, Yes, No key.Binding
	Filter                       key.Binding
}

func newProcKeys(readOnly, canKill bool) procKeys {
	k := procKeys{
		Sort:    key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "sort column")),
		Reverse: key.NewBinding(key.WithKeys("O"), key.WithHelp("O", "reverse sort")),
		Kill:    key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "terminate process")),
		Yes:     key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "confirm")),
		No:      key.NewBinding(key.WithKeys("n", "N", "esc"), key.WithHelp("n/esc", "cancel")),
		Filter:  key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
	}
	// Like export, the key stays bound when it cannot work, so pressing it
	// says why instead of doing nothing.
	switch {
	case readOnly:
		k.Kill.SetHelp("x", "terminate (off: read-only)")
	case !canKill:
		k.Kill.SetHelp("x", "terminate (not available)")
	}
	return k
}

// procTerminatedMsg is the result of a confirmed terminate.
type procTerminatedMsg struct {
	gpu  int
	pid  uint32
	name string
	err  error
}

// procsTable lists the processes on every GPU with their host-side view,
// sortable, with a selected row that can be terminated after confirmation.
type procsTable struct {
	*common
	size
	keys      procKeys
	readOnly  bool
	terminate func(pid int32) error

	// active: the table has the focus (thick border, selection shown).
	active bool

	all    []model.Process // every process, as SetData gave them
	procs  []model.Process // sorted, filtered
	peaks  map[model.ProcessKey]uint64
	hintOn bool
	hint   string

	sortBy procSort
	desc   bool // reversed from the column's natural order

	selected, offset int
	// selKey keeps the selection on the same process when the list is
	// re-sorted or a new sample reorders it.
	selKey model.ProcessKey
	hasSel bool

	confirming bool
	target     model.Process

	// filter keeps the processes whose PID, user or command contain it;
	// editing: the user is typing it (every key goes to the filter).
	filter  string
	editing bool

	status    string // result of the last action
	statusErr bool
}

// newProcsTable builds the table. terminate is called (from a tea.Cmd, never
// in Update) with the PID the user confirmed; nil or readOnly disables it.
func newProcsTable(c *common, terminate func(pid int32) error, readOnly bool) *procsTable {
	return &procsTable{common: c, terminate: terminate, readOnly: readOnly,
		keys: newProcKeys(readOnly, terminate != nil)}
}

// SetData replaces what the table shows: the newest process list of every
// GPU concatenated, the per-process peaks (ProcessPeaks.List) and the PID
// namespace hint (host.Resolver.PIDNamespaceHint).
func (p *procsTable) SetData(procs []model.Process, peaks []model.ProcessPeak, hintOn bool, hint string) {
	p.all = append(p.all[:0], procs...)
	if p.peaks == nil {
		p.peaks = make(map[model.ProcessKey]uint64, len(peaks))
	}
	clear(p.peaks)
	for _, pk := range peaks {
		p.peaks[pk.ProcessKey] = pk.Peak
	}
	p.hintOn, p.hint = hintOn, hint
	p.sort()
}

// Confirming reports whether a confirmation prompt or the filter is open;
// the root must then send every key here first (esc and n cancel, y
// confirms; the filter takes text).
func (p *procsTable) Confirming() bool { return p.confirming || p.editing }

// matches reports whether pr passes the filter.
func (p *procsTable) matches(pr model.Process) bool {
	if p.filter == "" {
		return true
	}
	f := strings.ToLower(p.filter)
	return strings.Contains(strconv.FormatUint(uint64(pr.PID), 10), f) ||
		strings.Contains(strings.ToLower(pr.User), f) || strings.Contains(strings.ToLower(p.command(pr)), f) ||
		strings.Contains(strings.ToLower(pr.Name), f)
}

func procKeyOf(pr model.Process) model.ProcessKey {
	return model.ProcessKey{GPU: pr.GPUIndex, PID: pr.PID}
}

func (p *procsTable) command(pr model.Process) string {
	if pr.Command != "" {
		return pr.Command
	}
	return pr.Name
}

// sort orders the list and puts the selection back on the same process.
func (p *procsTable) sort() {
	p.procs = p.procs[:0]
	for _, pr := range p.all {
		if p.matches(pr) {
			p.procs = append(p.procs, pr)
		}
	}
	// missing: the sort value is unavailable. Those rows go last in either
	// direction, so reversing never brings a block of N/A to the top.
	missing := func(pr model.Process) bool {
		switch p.sortBy {
		case sortMem:
			return !pr.UsedMemory.OK
		case sortPeak:
			_, ok := p.peaks[procKeyOf(pr)]
			return !ok
		case sortSM:
			return !pr.SMUtil.OK
		case sortRSS:
			return !pr.RSS.OK
		case sortCPU:
			return !pr.CPUPercent.OK
		case sortUser, sortCommand:
			return !pr.Resolved
		}
		return false
	}
	// Memory and CPU read best biggest first; PID, user and command A-Z.
	descending := p.sortBy.bigFirst() != p.desc
	slices.SortStableFunc(p.procs, func(a, b model.Process) int {
		if ma, mb := missing(a), missing(b); ma != mb {
			if ma {
				return 1
			}
			return -1
		}
		var c int
		switch p.sortBy {
		case sortMem:
			c = cmp.Compare(a.UsedMemory.V, b.UsedMemory.V)
		case sortPeak:
			c = cmp.Compare(p.peaks[procKeyOf(a)], p.peaks[procKeyOf(b)])
		case sortSM:
			c = cmp.Compare(a.SMUtil.V, b.SMUtil.V)
		case sortRSS:
			c = cmp.Compare(a.RSS.V, b.RSS.V)
		case sortGPU:
			c = cmp.Compare(a.GPUIndex, b.GPUIndex)
		case sortCPU:
			c = cmp.Compare(a.CPUPercent.V, b.CPUPercent.V)
		case sortPID:
			c = cmp.Compare(a.PID, b.PID)
		case sortUser:
			c = strings.Compare(a.User, b.User)
		case sortCommand:
			c = strings.Compare(p.command(a), p.command(b))
		}
		if descending {
			c = -c
		}
		if c != 0 {
			return c
		}
		return cmp.Or(cmp.Compare(a.GPUIndex, b.GPUIndex), cmp.Compare(a.PID, b.PID))
	})
	// A process that left keeps the cursor at its row rather than
	// jumping to the top.
	if p.hasSel {
		for i, pr := range p.procs {
			if procKeyOf(pr) == p.selKey {
				p.selected = i
				break
			}
		}
	}
	p.remember()
}

func (p *procsTable) remember() {
	p.selected = min(max(p.selected, 0), max(len(p.procs)-1, 0))
	// Scroll just enough to keep the selection in view (rows: the table's
	// lines, estimated from the size; View clamps its own copy again).
	if rows := max(p.height-5, 1); p.selected < p.offset {
		p.offset = p.selected
	} else if p.selected >= p.offset+rows {
		p.offset = p.selected - rows + 1
	}
	p.hasSel = len(p.procs) > 0
	if p.hasSel {
		p.selKey = procKeyOf(p.procs[p.selected])
	}
}

func (p *procsTable) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case procTerminatedMsg:
		who := msg.name + " (PID " + strconv.FormatUint(uint64(msg.pid), 10) + ")"
		if msg.err != nil {
			p.status, p.statusErr = "terminate "+who+" failed: "+msg.err.Error(), true
		} else {
			p.status, p.statusErr = who+" on GPU "+strconv.Itoa(msg.gpu)+" exited", false
		}
	case tea.KeyMsg:
		before := p.Confirming()
		cmd := p.key(msg)
		if after := p.Confirming(); after != before {
			// A prompt or the filter takes every key until it closes.
			return tea.Batch(cmd, send(captureKeysMsg{on: after}))
		}
		return cmd
	}
	return nil
}

func (p *procsTable) key(msg tea.KeyMsg) tea.Cmd {
	if p.editing {
		switch msg.Type {
		case tea.KeyEnter:
			p.editing = false
		case tea.KeyEsc:
			p.editing, p.filter = false, ""
		case tea.KeyBackspace:
			if r := []rune(p.filter); len(r) > 0 {
				p.filter = string(r[:len(r)-1])
			}
		case tea.KeyRunes, tea.KeySpace:
			p.filter += string(msg.Runes)
		}
		p.sort()
		return nil
	}
	if p.confirming {
		p.confirming = false
		if !key.Matches(msg, p.keys.Yes) {
			p.status, p.statusErr = "terminate cancelled", false
			return nil
		}
		return p.runTerminate(p.target)
	}
	p.status = "" // a result stays until the next key
	k := p.common.keys
	switch {
	case key.Matches(msg, k.Up):
		p.selected--
		p.remember()
	case key.Matches(msg, k.Down):
		p.selected++
		p.remember()
	case key.Matches(msg, p.keys.Sort):
		p.sortBy, p.desc = (p.sortBy+1)%sortCount, false
		p.sort()
	case key.Matches(msg, p.keys.Reverse):
		p.desc = !p.desc
		p.sort()
	case key.Matches(msg, p.keys.Kill):
		p.askTerminate()
	case key.Matches(msg, p.keys.Filter):
		p.editing = true
	}
	return nil
}

// askTerminate opens the prompt for the selected process, or says why not.
func (p *procsTable) askTerminate() {
	switch {
	case p.readOnly:
		p.status, p.statusErr = "read-only session: terminating processes is disabled", true
	case p.terminate == nil:
		p.status, p.statusErr = "terminating processes is not available", true
	case len(p.procs) == 0:
		p.status, p.statusErr = "no process selected", true
	case !p.procs[p.selected].Resolved:
		// A PID from another namespace would signal an unrelated process here.
		p.status, p.statusErr = "PID "+strconv.FormatUint(uint64(p.procs[p.selected].PID), 10)+
			" is not visible from this namespace: not signalling it", true
	case p.procs[p.selected].Zombie:
		p.status, p.statusErr = "a zombie has already exited; its parent must reap it", true
	default:
		p.confirming, p.target = true, p.procs[p.selected]
		p.status = ""
	}
}

func (p *procsTable) runTerminate(pr model.Process) tea.Cmd {
	if p.readOnly || p.terminate == nil {
		return nil // unreachable through the keys; never signal regardless
	}
	term, name := p.terminate, pr.Name
	if name == "" {
		name = "process"
	}
	p.status, p.statusErr = "terminating "+name+" (PID "+strconv.FormatUint(uint64(pr.PID), 10)+")…", false
	return func() tea.Msg {
		err := term(int32(pr.PID))
		return procTerminatedMsg{gpu: pr.GPUIndex, pid: pr.PID, name: name, err: err}
	}
}

func (p *procsTable) ShortHelp() []key.Binding {
	if p.confirming {
		return []key.Binding{p.keys.Yes, p.keys.No}
	}
	if p.editing {
		done := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "keep filter"))
		clearF := key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter"))
		return []key.Binding{done, clearF}
	}
	return []key.Binding{p.keys.Sort, p.keys.Reverse, p.keys.Filter, p.keys.Kill}
}

func (p *procsTable) FullHelp() [][]key.Binding {
	return [][]key.Binding{{p.common.keys.Up, p.common.keys.Down, p.keys.Sort, p.keys.Reverse},
		{p.keys.Filter, p.keys.Kill, p.keys.Yes, p.keys.No}}
}

// procCol is one column of the table: its layout, its cell and the sort
// it stands for (-1: not sortable).
type procCol struct {
	tableCol
	cell func(p *procsTable, pr model.Process) string
	sort procSort
}

// procCmdMin is the narrowest the command column gets before other columns
// are dropped: the command is what identifies a process.
const procCmdMin = 16

// procCols are the table's columns. Keep: PID and GPU memory stay longest
// with the command; RSS, CPU, SM and PEAK leave a narrow table first.
var procCols = []procCol{
	{tableCol{Title: "GPU", Width: 3, Right: true, Keep: 2},
		func(_ *procsTable, pr model.Process) string { return strconv.Itoa(pr.GPUIndex) }, sortGPU},
	{tableCol{Title: "PID", Width: 7, Right: true},
		func(_ *procsTable, pr model.Process) string { return strconv.FormatUint(uint64(pr.PID), 10) }, sortPID},
	{tableCol{Title: "USER", Width: 8, Keep: 1}, func(_ *procsTable, pr model.Process) string { return pr.User }, sortUser},
	{tableCol{Title: "GPU MEM", Width: 8, Right: true},
		func(_ *procsTable, pr model.Process) string { return fmtBytes(pr.UsedMemory) }, sortMem},
	{tableCol{Title: "PEAK", Width: 8, Right: true, Keep: 3}, func(p *procsTable, pr model.Process) string {
		pk, ok := p.peaks[procKeyOf(pr)]
		return fmtBytes(model.Opt[uint64]{V: pk, OK: ok})
	}, sortPeak},
	{tableCol{Title: "SM", Width: 4, Right: true, Keep: 4},
		func(_ *procsTable, pr model.Process) string { return fmtPct(pr.SMUtil) }, sortSM},
	{tableCol{Title: "CPU", Width: 5, Right: true, Keep: 5}, func(_ *procsTable, pr model.Process) string {
		if !pr.CPUPercent.OK {
			return na
		}
		return strconv.FormatFloat(pr.CPUPercent.V, 'f', 0, 64) + "%"
	}, sortCPU},
	{tableCol{Title: "RSS", Width: 8, Right: true, Keep: 6},
		func(_ *procsTable, pr model.Process) string { return fmtBytes(pr.RSS) }, sortRSS},
	{tableCol{Title: "COMMAND", Width: procCmdMin, Grow: -1}, nil, sortCommand},
}

// procTableCols are procCols' layouts, for the table component.
var procTableCols = func() []tableCol {
	out := make([]tableCol, len(procCols))
	for i, c := range procCols {
		out[i] = c.tableCol
	}
	return out
}()

func (p *procsTable) View() string {
	st := p.styles
	inner, innerH := p.width-4, p.height-2
	if inner <= 0 || innerH <= 0 {
		return fitBlock("", p.width, p.height)
	}
	box := st.Pane
	if p.active {
		box = st.PaneFocused
	}
	title := st.title.render("PROCESSES") + st.muted.render(" "+strconv.Itoa(len(p.procs))+
		"  sort: "+p.sortBy.String()+p.dirWord())
	switch {
	case p.editing:
		title += st.muted.render("  filter: ") + p.filter + st.accent.render("▏")
	case p.filter != "":
		title += st.muted.render("  filter: ") + p.filter + st.muted.render(" (of "+strconv.Itoa(len(p.all))+")")
	}
	lines := []string{fit(title, inner)}

	// The status line (prompt or last result) takes the bottom row.
	var status string
	switch {
	case p.confirming:
		status = st.warn.render(p.prompt())
	case p.status != "" && p.statusErr:
		status = st.fail.render(p.status)
	case p.status != "":
		status = st.ok.render(p.status)
	}
	rows := innerH - 2 // title + header
	if status != "" {
		rows--
	}

	switch {
	case p.hintOn && !p.anyResolved():
		// One explanation instead of a table of unknowns.
		lines = append(lines, wrapHint(st.warn.render("▲ ")+p.hint, inner)...)
		for _, pr := range p.procs {
			lines = append(lines, st.muted.render(fit("GPU "+strconv.Itoa(pr.GPUIndex)+"  PID "+
				strconv.FormatUint(uint64(pr.PID), 10)+"  "+fmtBytes(pr.UsedMemory), inner)))
		}
	case len(p.procs) == 0 && p.filter != "":
		lines = append(lines, st.muted.render("no process matches the filter (/ edits it, esc while editing clears it)"))
	case len(p.procs) == 0:
		lines = append(lines, st.muted.render("no processes on the GPUs"))
	default:
		lines = append(lines, p.table(inner, max(rows, 1))...)
	}
	body := fitRows(strings.Join(lines, "\n"), innerH)
	if status != "" {
		body = fitRows(strings.Join(lines, "\n"), innerH-1) + "\n" + fit(status, inner)
	}
	return boxed(box, body, p.width, p.height)
}

func (p *procsTable) dirWord() string {
	if p.sortBy.bigFirst() != p.desc {
		return " ↓"
	}
	return " ↑"
}

func (p *procsTable) prompt() string {
	name := p.target.Name
	if name == "" {
		name = "process"
	}
	return "Send SIGTERM to " + name + " (PID " + strconv.FormatUint(uint64(p.target.PID), 10) +
		") on GPU " + strconv.Itoa(p.target.GPUIndex) + "? y/N"
}

func (p *procsTable) anyResolved() bool {
	for _, pr := range p.procs {
		if pr.Resolved {
			return true
		}
	}
	return false
}

// table renders the header and the visible rows, scrolled to the selection.
func (p *procsTable) table(width, rows int) []string {
	st := p.styles
	// One cell for the selection marker: the highlight alone is lost
	// without colour.
	width--
	keep, widths := tableLayout(procTableCols, width)
	sorted := -1
	for i, c := range procCols {
		if c.sort == p.sortBy {
			sorted = i
		}
	}
	out := []string{" " + tableHeader(st, procTableCols, keep, widths, sorted, p.dirWord()[1:])}

	// The scroll that keeps the selection in view, worked out here without
	// changing the table (View has no side effects).
	off := min(max(p.offset, p.selected-rows+1), p.selected)
	off = min(max(off, 0), max(len(p.procs)-rows, 0))
	cells := make([]string, len(keep))
	for i := off; i < len(p.procs) && i < off+rows; i++ {
		pr := p.procs[i]
		for k, ci := range keep {
			c := procCols[ci]
			switch {
			case c.cell == nil: // the command
				cmd := p.command(pr)
				switch {
				case !pr.Resolved:
					cmd = st.muted.render("(not visible from this PID namespace)")
				case pr.Zombie:
					// Drawn as what it is, whatever its command line was.
					cmd = st.warn.render("<zombie>") + st.muted.render(" exited, not reaped: "+cmd)
				}
				cells[k] = st.migTag(pr) + cmd // its MIG instance (mig.go)
			case !pr.Resolved && (c.Title == "USER" || c.Title == "CPU" || c.Title == "RSS"):
				cells[k] = "?"
			default:
				cells[k] = c.cell(p, pr)
			}
		}
		marker := " "
		if p.active && i == p.selected {
			marker = st.accent.render("›")
		}
		line := marker + tableRow(procTableCols, keep, widths, cells)
		if p.active && i == p.selected {
			line = st.selectedRow(line)
		}
		out = append(out, line)
	}
	return out
}

// wrapHint breaks s (which may carry ANSI styling) into lines of at most
// width cells, at spaces where it can.
func wrapHint(s string, width int) []string {
	if width <= 0 {
		return nil
	}
	return strings.Split(ansi.Wrap(s, width, ""), "\n")
}
