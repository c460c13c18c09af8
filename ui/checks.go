package ui

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/gputop/gputop/model"
)

// checksDoneMsg carries a full run of the checks.
type checksDoneMsg struct {
	gen     int
	results []model.CheckResult
	facts   model.Facts
	err     error
	took    time.Duration
	at      time.Time
}

// liveChecksMsg carries a re-evaluation of the facts with fresh samples.
type liveChecksMsg struct {
	gen     int
	results []model.CheckResult
	facts   model.Facts
}

// liveEvery bounds how often live checks are re-evaluated.
const liveEvery = time.Second

// checksPane is the checklist and, on enter, the fix panel of one check.
type checksPane struct {
	*common
	size
	ctx context.Context
	cfg *Config

	results  []model.CheckResult // sorted, fails first
	shown    []int               // indexes into results the list shows (all, or the problems)
	problems bool                // show only failing and warning checks
	titleW   int                 // the longest list title, in cells
	facts    model.Facts
	hasFacts bool
	selected int
	offset   int // first row shown
	active   bool
	fixOpen  bool
	fixTop   int // first line of the fix panel shown, when it scrolls

	running  bool
	gen      int // drops results of a run that a newer one replaced
	spinner  spinner.Model
	took     time.Duration
	ranAt    time.Time
	err      error
	evalBusy bool
	evalAt   time.Time

	// The pane is redrawn only when something it shows changed: frames
	// come with every sample, the checklist changes once a second at most.
	version   int                 // bumped when the results change
	lastIn    []model.CheckResult // the results as last given, unsorted
	viewKey   checksViewKey
	viewCache string
}

// checksViewKey is everything View reads.
type checksViewKey struct {
	ok                       bool // a view is cached
	stylesGen                uint64
	width, height            int
	version                  int
	selected, offset, fixTop int
	active, fixOpen, running bool
	problems                 bool
	noRunChecks              bool
	spinner, err             string
	took                     time.Duration
	ranAt                    time.Time
}

func (p *checksPane) viewKeyNow() checksViewKey {
	k := checksViewKey{ok: true, stylesGen: p.styles.gen, width: p.width, height: p.height, version: p.version,
		selected: p.selected, offset: p.offset, fixTop: p.fixTop, active: p.active, fixOpen: p.fixOpen, problems: p.problems,
		running: p.running, noRunChecks: p.cfg.RunChecks == nil, took: p.took, ranAt: p.ranAt}
	if p.running {
		k.spinner = p.spinner.View()
	}
	if p.err != nil {
		k.err = p.err.Error()
	}
	return k
}

func newChecksPane(c *common, ctx context.Context, cfg *Config) *checksPane {
	sp := spinner.New(spinner.WithSpinner(spinner.MiniDot))
	return &checksPane{common: c, ctx: ctx, cfg: cfg, spinner: sp}
}

// run starts a full run of the checks (startup and `r`).
func (p *checksPane) run() tea.Cmd {
	if p.cfg.RunChecks == nil || p.running {
		return nil
	}
	p.running, p.err = true, nil
	p.gen++
	gen, ctx, runChecks, now := p.gen, p.ctx, p.cfg.RunChecks, p.now
	work := func() tea.Msg {
		start := now()
		results, facts, err := runChecks(ctx)
		end := now()
		return checksDoneMsg{gen: gen, results: results, facts: facts, err: err, took: end.Sub(start), at: end}
	}
	return tea.Batch(work, p.spinner.Tick)
}

// maybeEvaluate re-judges the facts with fresh samples, at most once per
// liveEvery and never while a full run or another evaluation is in flight.
func (p *checksPane) maybeEvaluate(now time.Time) tea.Cmd {
	if p.cfg.Evaluate == nil || !p.hasFacts || p.running || p.evalBusy || now.Sub(p.evalAt) < liveEvery {
		return nil
	}
	p.evalBusy, p.evalAt = true, now
	gen, facts, refresh, evaluate := p.gen, p.facts, p.cfg.RefreshFacts, p.cfg.Evaluate
	return func() tea.Msg {
		if refresh != nil {
			facts = refresh(facts)
		}
		return liveChecksMsg{gen: gen, results: evaluate(facts), facts: facts}
	}
}

// setResults replaces the list, keeping the selection on the same check.
func (p *checksPane) setResults(rs []model.CheckResult) {
	// The live re-evaluation returns the same verdicts in the same order
	// nearly every second: nothing to sort, compare or refilter (sorting
	// was 2.5 % of the program's CPU at a 1 s interval).
	if p.lastIn != nil && reflect.DeepEqual(rs, p.lastIn) {
		return
	}
	p.lastIn = rs
	var selID string
	if c, ok := p.current(); ok {
		selID = c.ID
	}
	sorted := model.SortChecks(rs) // fails first, a root cause before what follows from it
	if !reflect.DeepEqual(sorted, p.results) {
		p.version++
	}
	p.results = sorted
	p.titleW = 0
	for _, c := range sorted {
		p.titleW = max(p.titleW, textWidth(listTitle(c)))
	}
	p.refilter(selID)
}

// refilter rebuilds the rows shown, keeping the selection on check selID
// when it is still shown.
func (p *checksPane) refilter(selID string) {
	p.shown = p.shown[:0]
	p.selected = 0
	for i, c := range p.results {
		if p.problems && c.Status != model.Fail && c.Status != model.Warn {
			continue
		}
		if c.ID == selID {
			p.selected = len(p.shown)
		}
		p.shown = append(p.shown, i)
	}
	p.clampScroll()
}

// listRows is how many checks the list shows at once.
func (p *checksPane) listRows() int { return max(p.height-3, 1) }

// clampScroll keeps the selection in the list and in view; it runs in
// Update and SetSize so that View has nothing to correct.
func (p *checksPane) clampScroll() {
	p.selected = min(max(p.selected, 0), max(len(p.shown)-1, 0))
	rows := p.listRows()
	p.offset = min(max(p.offset, p.selected-rows+1), p.selected)
	p.offset = max(min(p.offset, len(p.shown)-rows), 0)
}

func (p *checksPane) SetSize(w, h int) {
	p.size.SetSize(w, h)
	p.clampScroll()
	p.clampFix()
}

func (p *checksPane) current() (model.CheckResult, bool) {
	if p.selected < 0 || p.selected >= len(p.shown) {
		return model.CheckResult{}, false
	}
	return p.results[p.shown[p.selected]], true
}

// atTop reports whether Up would leave the list.
func (p *checksPane) atTop() bool { return p.selected == 0 }

func (p *checksPane) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case checksDoneMsg:
		if msg.gen != p.gen {
			return nil
		}
		p.running = false
		p.took, p.ranAt, p.err = msg.took, msg.at, msg.err
		if msg.err == nil {
			p.setResults(msg.results)
			p.facts, p.hasFacts = msg.facts, true
			return send(checksChangedMsg{p.results})
		}
	case liveChecksMsg:
		p.evalBusy = false
		if msg.gen == p.gen && !p.running {
			before := p.version
			p.setResults(msg.results)
			p.facts = msg.facts
			// Once a second the same verdicts come back: nothing to judge
			// again or draw (the root redraws on checksChangedMsg).
			if p.version != before {
				return send(checksChangedMsg{p.results})
			}
		}
	case runChecksMsg:
		return p.run()
	case closeFixMsg:
		if p.fixOpen {
			p.fixOpen, p.fixTop = false, 0
			return send(fixPanelMsg{open: false})
		}
	case selectRowMsg:
		// Line 0 is the border, line 1 the summary.
		if i := p.offset + msg.row - 2; msg.row >= 2 && i < len(p.shown) && !p.fixOpen {
			p.selected = i
			p.clampScroll()
		}
	case spinner.TickMsg:
		if p.running {
			var cmd tea.Cmd
			p.spinner, cmd = p.spinner.Update(msg)
			return cmd
		}
	case tea.KeyMsg:
		wasOpen := p.fixOpen
		var cmd tea.Cmd
		switch {
		case key.Matches(msg, p.keys.Copy):
			cmd = p.copy(0)
		case key.Matches(msg, p.keys.CopyNth):
			cmd = p.copy(int(msg.Runes[0] - '1'))
		case key.Matches(msg, p.keys.Up) && p.fixOpen:
			p.fixTop = max(p.fixTop-1, 0)
		case key.Matches(msg, p.keys.Down) && p.fixOpen:
			p.fixTop++
		case key.Matches(msg, p.keys.Up):
			p.selected--
		case key.Matches(msg, p.keys.Down):
			p.selected++
		case key.Matches(msg, p.keys.PageUp) && !p.fixOpen:
			p.selected -= p.listRows()
		case key.Matches(msg, p.keys.PageDown) && !p.fixOpen:
			p.selected += p.listRows()
		case key.Matches(msg, p.keys.Home) && !p.fixOpen:
			p.selected = 0
		case key.Matches(msg, p.keys.End) && !p.fixOpen:
			p.selected = len(p.shown) - 1
		case key.Matches(msg, p.keys.ProblemsOnly) && !p.fixOpen:
			sel := ""
			if c, ok := p.current(); ok {
				sel = c.ID
			}
			p.problems = !p.problems
			p.refilter(sel)
		case key.Matches(msg, p.keys.Enter):
			_, p.fixOpen = p.current()
			p.fixTop = 0
		case key.Matches(msg, p.keys.Back):
			p.fixOpen = false
		}
		p.clampScroll()
		p.clampFix()
		if p.fixOpen != wasOpen {
			return tea.Batch(cmd, send(fixPanelMsg{open: p.fixOpen}))
		}
		return cmd
	}
	return nil
}

// copy asks the root to copy the selected check's nth command (0: the
// first), or says why it cannot.
func (p *checksPane) copy(n int) tea.Cmd {
	c, ok := p.current()
	switch {
	case !ok:
		return send(footerMsg{"no check selected", true})
	case len(c.Commands) == 0:
		return send(footerMsg{"this check has no command to copy", true})
	case n >= len(c.Commands):
		return send(footerMsg{"this check has " + strconv.Itoa(len(c.Commands)) + " command(s)", true})
	}
	return send(copyRequestMsg{text: c.Commands[n]})
}

func (p *checksPane) ShortHelp() []key.Binding {
	if p.fixOpen {
		if !p.fixScrolls() {
			return []key.Binding{p.keys.Copy, p.keys.Back}
		}
		scroll := p.keys.Down
		scroll.SetHelp("↑/↓", "scroll")
		return []key.Binding{p.keys.Copy, p.keys.Back, scroll}
	}
	open := p.keys.Enter
	open.SetHelp("enter", "fix panel")
	filter := p.keys.ProblemsOnly
	if p.problems {
		filter.SetHelp("f", "show all checks")
	}
	return []key.Binding{open, p.keys.Copy, filter, p.keys.PageDown}
}

func (p *checksPane) FullHelp() [][]key.Binding {
	return [][]key.Binding{{p.keys.Up, p.keys.Down, p.keys.PageUp, p.keys.PageDown, p.keys.Home, p.keys.End},
		{p.keys.Enter, p.keys.Copy, p.keys.CopyNth, p.keys.ProblemsOnly, p.keys.Back}}
}

// summary is the one-line state of the checklist.
func (p *checksPane) summary() string {
	st := p.styles
	// A result that follows from a root cause is counted once, with its
	// root (as `gputop check` counts it).
	counts, follow := map[model.Status]int{}, 0
	for _, r := range p.results {
		if !r.Counted() {
			follow++
			continue
		}
		counts[r.Status]++
	}
	parts := []string{st.title.render("CHECKS")}
	if len(p.shown) > 0 {
		pos := strconv.Itoa(p.selected+1) + "/" + strconv.Itoa(len(p.shown))
		if p.problems {
			pos += " problems"
		}
		parts[0] += st.muted.render(" " + pos)
	}
	for _, s := range []model.Status{model.Fail, model.Warn, model.Pass, model.Skip} {
		if counts[s] > 0 {
			parts = append(parts, st.Status(s)+" "+strconv.Itoa(counts[s]))
		}
	}
	if follow > 0 {
		parts = append(parts, st.muted.render("+"+strconv.Itoa(follow)+" follow from a root cause"))
	}
	switch {
	case p.running:
		parts = append(parts, p.spinner.View()+" running checks…")
	case p.err != nil:
		parts = append(parts, st.fail.render("checks failed: "+p.err.Error()))
	case p.cfg.RunChecks == nil:
		parts = append(parts, st.muted.render("no checks configured"))
	case !p.ranAt.IsZero():
		parts = append(parts, st.muted.render("took "+fmtDuration(p.took.Round(time.Millisecond))+
			" at "+p.ranAt.Format("15:04:05")))
	}
	return strings.Join(parts, "  ")
}

func (p *checksPane) View() string {
	if p.viewKey.ok && p.viewKey == p.viewKeyNow() {
		return p.viewCache
	}
	v := p.draw()
	// Keyed on the state after drawing, which clamps the scroll positions.
	p.viewKey, p.viewCache = p.viewKeyNow(), v
	return v
}

func (p *checksPane) draw() string {
	if p.width <= 0 || p.height <= 0 {
		return ""
	}
	if p.fixOpen {
		return p.fixView()
	}
	st := p.styles
	if p.height < 4 {
		// No room for a list: the summary still says whether anything failed.
		return fitBlock(p.summary(), p.width, p.height)
	}
	inner, rows := p.width-4, p.height-3
	var lines []string
	lines = append(lines, p.summary())
	// The title column is as wide as the longest title while the evidence
	// keeps 20 cells: from 160 columns no title is cut.
	titleW := max(min(p.titleW, inner-10-20), min(20, inner))
	for i := p.offset; i < len(p.shown) && i < p.offset+rows; i++ {
		r := p.results[p.shown[i]]
		marker := " "
		if p.active && i == p.selected {
			marker = st.accent.render("›")
		}
		live := "  "
		if r.Live {
			live = st.muted.render(" ↻") // re-evaluated as samples arrive
		}
		title := listTitle(r)
		if r.FollowsFrom != "" {
			title = "↳ " + title // a consequence, listed under its root cause
		}
		if mark := p.mark(r); mark != "" {
			// The replay's mark is a field of its own: the title is cut, never the mark.
			title = fit(title, max(titleW-textWidth(mark)-1, 4))
			title = strings.TrimRight(title, " ") + " " + st.warn.render(mark)
		}
		line := marker + st.Status(r.Status) + live + " " + fit(title, titleW) + " " + st.muted.render(r.Evidence)
		line = fit(line, inner)
		if p.active && i == p.selected {
			line = st.selectedRow(line)
		}
		lines = append(lines, line)
	}
	switch {
	case len(p.results) == 0 && !p.running:
		lines = append(lines, st.muted.render(" no results yet"))
	case len(p.shown) == 0 && p.problems:
		lines = append(lines, st.muted.render(" no failing or warning check (f shows all)"))
	}
	box := st.Pane
	if p.active {
		box = st.PaneFocused
	}
	return boxed(box, strings.Join(lines, "\n"), p.width, p.height)
}

// fixView is the fix panel: everything needed to act on one finding.
func (p *checksPane) fixView() string {
	if _, ok := p.current(); !ok || p.width < 8 || p.height < 3 {
		return fitBlock("", p.width, p.height)
	}
	lines := p.fixLines()
	// Text longer than the panel scrolls with the arrows; the heading stays.
	if rows := p.height - 2; p.fixScrolls() {
		body := lines[1:]
		visible := rows - 2 // heading and the "more" line
		top := min(p.fixTop, len(body)-visible)
		more := p.styles.muted.render(fmt.Sprintf("↑↓ scroll · lines %d-%d of %d", top+1, top+visible, len(body)))
		lines = append(append([]string{lines[0]}, body[top:top+visible]...), more)
	}
	return boxed(p.styles.PaneFocused, strings.Join(lines, "\n"), p.width, p.height)
}

// fixScrolls reports whether the fix text is longer than the panel.
func (p *checksPane) fixScrolls() bool {
	rows := p.height - 2
	return rows > 2 && len(p.fixLines()) > rows
}

// clampFix keeps the fix panel's scroll inside its text (Update, SetSize).
func (p *checksPane) clampFix() {
	if !p.fixOpen || !p.fixScrolls() {
		p.fixTop = 0
		return
	}
	visible := p.height - 4
	p.fixTop = max(min(p.fixTop, len(p.fixLines())-1-visible), 0)
}

// fixLines is the whole fix panel text of the selected check, before
// scrolling: heading, evidence, why, fix, the commands wrapped in full.
func (p *checksPane) fixLines() []string {
	st := p.styles
	c, ok := p.current()
	if !ok {
		return nil
	}
	inner := p.width - 4
	const labelW = 10
	textW := max(inner-labelW, 10)
	wrap := lipgloss.NewStyle().Width(textW)
	var lines []string
	// The title wraps rather than being cut; the id and GPU follow it.
	titleParts := wrapHard(c.Title, max(inner-8, 10))
	lines = append(lines, st.Status(c.Status)+"  "+st.bold.render(titleParts[0]))
	for _, part := range titleParts[1:] {
		lines = append(lines, "        "+st.bold.render(part))
	}
	id := c.ID
	if g, ok := c.GPU.Get(); ok {
		id += fmt.Sprintf("  GPU %d", g)
	}
	lines = append(lines, "        "+st.muted.render(id))
	if mark := p.mark(c); mark != "" {
		lines = append(lines, st.warn.render(mark)+" "+st.muted.render(replayNote(c)))
	}
	if c.FollowsFrom != "" {
		lines = append(lines, st.muted.render("follows from "+c.FollowsFrom+": fix that first"))
	}
	lines = append(lines, "")
	field := func(label, text string) {
		if text == "" {
			return
		}
		for i, l := range strings.Split(wrap.Render(text), "\n") {
			lab := ""
			if i == 0 {
				lab = label
			}
			lines = append(lines, st.muted.render(fit(lab, labelW))+strings.TrimSpace(l))
		}
	}
	field("Evidence", c.Evidence)
	field("Why", c.Why)
	field("Fix", c.Fix)
	if len(c.Commands) > 0 {
		hint := "c copies the first"
		if len(c.Commands) > 1 {
			hint = "c copies the first, 1-" + strconv.Itoa(min(len(c.Commands), 9)) + " the Nth"
		}
		lines = append(lines, st.muted.render("Commands  "+hint))
		// Commands wrap in full, never cut: what is copied is what is shown.
		cmdW := max(inner-6, 10)
		for n, cmd := range c.Commands {
			for i, part := range wrapHard(cmd, cmdW) {
				lead := "      "
				if i == 0 {
					lead = st.muted.render(fitRight(strconv.Itoa(n+1), 3) + " $ ")
				}
				lines = append(lines, lead+st.accent.render(part))
			}
		}
	}
	if c.Status == model.Pass && c.Fix == "" && len(c.Commands) == 0 {
		lines = append(lines, st.muted.render("nothing to fix"))
	}
	return lines
}

// listTitle puts a per-GPU result's GPU first ("GPU 3 PCIe link" rather than
// "PCIe link: GPU 3 (NVIDIA H100 80GB HBM3)"), so that truncating the title
// to the column keeps which GPU it is about. The fix panel shows it whole.
func listTitle(r model.CheckResult) string {
	if !r.GPU.OK {
		return r.Title
	}
	title := r.Title
	if i := strings.Index(title, ": GPU "); i > 0 {
		title = title[:i]
	}
	return "GPU " + strconv.Itoa(r.GPU.V) + " " + title
}

// mark is a result's relation to the recording in a replay ("" live).
func (p *checksPane) mark(r model.CheckResult) string {
	if p.cfg.Replay == nil {
		return ""
	}
	return r.RecordedMark()
}

// replayNote says what a replay mark means.
func replayNote(r model.CheckResult) string {
	if r.Recorded == "" {
		return "this rule is newer than the gputop that recorded"
	}
	return "today's rules judge the recorded facts differently from the recorded verdict"
}

// wrapHard splits s into lines of at most width cells, at spaces where it
// can and inside a word where it must, dropping nothing.
func wrapHard(s string, width int) []string {
	if width <= 0 {
		return []string{s}
	}
	var out []string
	for textWidth(s) > width {
		cut := ansi.Truncate(s, width, "")
		if i := strings.LastIndexByte(cut, ' '); i > 0 {
			cut = cut[:i+1]
		}
		out = append(out, strings.TrimRight(cut, " "))
		s = s[len(cut):]
	}
	return append(out, s)
}
