package ui

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/themes"
)

// compCommon is the shared state a component gets from the root, with the
// default theme and the fixed golden clock.
func compCommon(t *testing.T) *common {
	t.Helper()
	th, err := themes.Resolve(themes.Default, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	return &common{styles: NewStyles(th), keys: DefaultKeyMap(), frame: &frame{},
		interval: 100 * time.Millisecond, now: func() time.Time { return t0 }}
}

// testProcs covers every kind of row: a busy trainer, a server without SM
// figures, a zombie, a PID from another namespace and a small notebook.
func testProcs() []model.Process {
	return []model.Process{
		{PID: 4242, GPUIndex: 0, Kind: "compute", UsedMemory: model.Some[uint64](61 << 30), SMUtil: model.Some[uint32](87),
			Resolved: true, User: "alice", Name: "python3", Command: "python3 train.py --model llama-70b --tp 8",
			CPUPercent: model.Some(103.5), RSS: model.Some[uint64](12 << 30)},
		{PID: 5150, GPUIndex: 1, Kind: "compute", UsedMemory: model.Some[uint64](70 << 30),
			Resolved: true, User: "bob", Name: "python3",
			Command:    "/usr/bin/python3 -m vllm.entrypoints.openai.api_server --model meta-llama/Llama-3.1-70B-Instruct",
			CPUPercent: model.Some(12.0), RSS: model.Some[uint64](3 << 30)},
		{PID: 777, GPUIndex: 0, Kind: "compute", UsedMemory: model.Some[uint64](512 << 20),
			Resolved: true, User: "carol", Name: "python3", Command: "python3 crash.py", Zombie: true}, // its command line was known
		{PID: 99001, GPUIndex: 1, Kind: "compute", UsedMemory: model.Some[uint64](2 << 30)},
		{PID: 31337, GPUIndex: 0, Kind: "graphics", UsedMemory: model.Some[uint64](300 << 20), SMUtil: model.Some[uint32](3),
			Resolved: true, User: "root", Name: "Xorg", Command: "/usr/lib/xorg/Xorg :0",
			CPUPercent: model.Some(0.5), RSS: model.Some[uint64](90 << 20)},
	}
}

func testPeaks() []model.ProcessPeak {
	return []model.ProcessPeak{
		{ProcessKey: model.ProcessKey{GPU: 0, PID: 4242}, Name: "python3", Peak: 75 << 30, Live: true},
		{ProcessKey: model.ProcessKey{GPU: 1, PID: 5150}, Name: "python3", Peak: 70 << 30, Live: true},
	}
}

const testHint = "GPU processes cannot be identified: NVML reports host PIDs, and gputop runs in a different PID " +
	"namespace. Run the container with the host's PID namespace: docker run --pid=host ..., or hostPID: true " +
	"in the Kubernetes pod spec; or mount the host's /proc and set HOST_PROC to it."

// fakeTerminate records the PIDs it was asked to signal.
type fakeTerminate struct {
	mu    sync.Mutex
	calls []int32
	err   error
}

func (f *fakeTerminate) fn(pid int32) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, pid)
	return f.err
}

func (f *fakeTerminate) got() []int32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func newTestTable(t *testing.T, term *fakeTerminate, readOnly bool) *procsTable {
	t.Helper()
	var fn func(int32) error
	if term != nil {
		fn = term.fn
	}
	p := newProcsTable(compCommon(t), fn, readOnly)
	p.active = true
	p.SetData(testProcs(), testPeaks(), false, "")
	return p
}

// keys sends each key and runs any command it returns, feeding the result
// back, as the program would.
func sendProcKeys(p *procsTable, ks ...string) {
	for _, k := range ks {
		runProcCmd(p, p.Update(press(k)))
	}
}

// runProcCmd runs what the table returned, as the program would; the
// messages meant for the root (captureKeysMsg) stop there.
func runProcCmd(p *procsTable, cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	switch msg := cmd().(type) {
	case tea.BatchMsg:
		for _, c := range msg {
			runProcCmd(p, c)
		}
	case captureKeysMsg, nil:
	default:
		runProcCmd(p, p.Update(msg))
	}
}

func procPIDs(p *procsTable) []uint32 {
	var out []uint32
	for _, pr := range p.procs {
		out = append(out, pr.PID)
	}
	return out
}

func TestGoldenProcs(t *testing.T) {
	tests := []struct {
		name     string
		w, h     int
		readOnly bool
		data     func(p *procsTable)
		keys     []string
	}{
		{"by_memory_80x12", 80, 12, false, nil, nil},
		{"by_memory_200x12", 200, 12, false, nil, nil},
		{"by_cpu_200x12", 200, 12, false, nil, []string{"o"}},
		{"by_command_reversed_200x12", 200, 12, false, nil, []string{"o", "o", "o", "o", "O"}},
		{"by_user_80x12", 80, 12, false, nil, []string{"o", "o", "o"}},
		{"narrow_50x12", 50, 12, false, nil, nil},
		{"scrolled_80x7", 80, 7, false, nil, []string{"down", "down", "down", "down"}},
		{"namespace_hint_80x12", 80, 12, false, func(p *procsTable) {
			var unresolved []model.Process
			for _, pr := range testProcs() {
				unresolved = append(unresolved, model.Process{PID: pr.PID + 100000, GPUIndex: pr.GPUIndex,
					Kind: pr.Kind, UsedMemory: pr.UsedMemory})
			}
			p.SetData(unresolved, nil, true, testHint)
		}, nil},
		{"namespace_hint_200x12", 200, 12, false, func(p *procsTable) {
			p.SetData([]model.Process{{PID: 123456, GPUIndex: 0, UsedMemory: model.Some[uint64](40 << 30)}}, nil, true, testHint)
		}, nil},
		{"confirm_80x12", 80, 12, false, nil, []string{"x"}},
		{"confirm_200x12", 200, 12, false, nil, []string{"down", "x"}},
		{"terminated_80x12", 80, 12, false, nil, []string{"down", "x", "y"}},
		{"read_only_80x12", 80, 12, true, nil, []string{"x"}},
		{"zombie_refused_80x12", 80, 12, false, nil, []string{"o", "o", "up", "up", "x"}},
		{"empty_80x6", 80, 6, false, func(p *procsTable) { p.SetData(nil, nil, false, "") }, nil},
		{"unfocused_80x12", 80, 12, false, func(p *procsTable) { p.active = false }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newTestTable(t, &fakeTerminate{}, tt.readOnly)
			if tt.data != nil {
				tt.data(p)
			}
			sendProcKeys(p, tt.keys...)
			p.SetSize(tt.w, tt.h)
			v := p.View()
			show(t, v)
			checkScreen(t, v, tt.w, tt.h)
			golden.RequireEqual(t, []byte(v))
		})
	}
}

func TestProcsSortKeys(t *testing.T) {
	tests := []struct {
		keys []string
		want []uint32
		by   procSort
	}{
		{nil, []uint32{5150, 4242, 99001, 777, 31337}, sortMem},
		{[]string{"O"}, []uint32{31337, 777, 99001, 4242, 5150}, sortMem},
		// CPU: unavailable readings (zombie, unresolved) always last.
		{[]string{"o"}, []uint32{4242, 5150, 31337, 777, 99001}, sortCPU},
		{[]string{"o", "O"}, []uint32{31337, 5150, 4242, 777, 99001}, sortCPU},
		{[]string{"o", "o"}, []uint32{777, 4242, 5150, 31337, 99001}, sortPID},
		{[]string{"o", "o", "o"}, []uint32{4242, 5150, 777, 31337, 99001}, sortUser},
		{[]string{"o", "o", "o", "o"}, []uint32{5150, 31337, 777, 4242, 99001}, sortCommand},
		{[]string{"o", "o", "o", "o", "O"}, []uint32{4242, 777, 31337, 5150, 99001}, sortCommand},
		{[]string{"o", "o", "O"}, []uint32{99001, 31337, 5150, 4242, 777}, sortPID},
		// Peak, SM and RSS: biggest first, unavailable last; GPU: 0 first.
		{[]string{"o", "o", "o", "o", "o"}, []uint32{4242, 5150, 777, 31337, 99001}, sortPeak},
		{[]string{"o", "o", "o", "o", "o", "o"}, []uint32{4242, 31337, 777, 5150, 99001}, sortSM},
		{[]string{"o", "o", "o", "o", "o", "o", "o"}, []uint32{4242, 5150, 31337, 777, 99001}, sortRSS},
		{[]string{"o", "o", "o", "o", "o", "o", "o", "o"}, []uint32{777, 4242, 31337, 5150, 99001}, sortGPU},
		{[]string{"o", "o", "o", "o", "o", "o", "o", "o", "o"}, []uint32{5150, 4242, 99001, 777, 31337}, sortMem},
		// Cycling to the next column starts it in its natural order again.
		{[]string{"O", "o"}, []uint32{4242, 5150, 31337, 777, 99001}, sortCPU},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.keys, ""), func(t *testing.T) {
			p := newTestTable(t, nil, false)
			sendProcKeys(p, tt.keys...)
			if p.sortBy != tt.by {
				t.Errorf("sort by %v, want %v", p.sortBy, tt.by)
			}
			if got := procPIDs(p); !slices.Equal(got, tt.want) {
				t.Errorf("order %v, want %v", got, tt.want)
			}
		})
	}
}

func TestProcsSelectionFollowsProcess(t *testing.T) {
	p := newTestTable(t, nil, false)
	sendProcKeys(p, "down") // 4242 under memory order
	if got := p.procs[p.selected].PID; got != 4242 {
		t.Fatalf("selected %d, want 4242", got)
	}
	sendProcKeys(p, "o") // CPU order puts 4242 first
	if got := p.procs[p.selected].PID; got != 4242 || p.selected != 0 {
		t.Errorf("after re-sort selected %d at %d, want 4242 at 0", got, p.selected)
	}
	// A new sample where 4242 is gone: the selection stays in range.
	procs := testProcs()[1:]
	p.SetData(procs, nil, false, "")
	if p.selected < 0 || p.selected >= len(p.procs) {
		t.Errorf("selection %d out of range of %d rows", p.selected, len(p.procs))
	}
	// Moving past either end stops at the end.
	sendProcKeys(p, "up", "up", "up", "up", "up", "up")
	if p.selected != 0 {
		t.Errorf("selected %d after going up past the top", p.selected)
	}
	sendProcKeys(p, "down", "down", "down", "down", "down", "down", "down")
	if p.selected != len(p.procs)-1 {
		t.Errorf("selected %d after going down past the end, want %d", p.selected, len(p.procs)-1)
	}
	// An empty list has no selection to act on.
	p.SetData(nil, nil, false, "")
	sendProcKeys(p, "down", "x")
	if p.confirming {
		t.Error("confirm opened with no process")
	}
}

func TestProcsConfirm(t *testing.T) {
	tests := []struct {
		name      string
		readOnly  bool
		nilTerm   bool
		keys      []string
		wantCalls []int32
		status    string
	}{
		{"yes", false, false, []string{"down", "x", "y"}, []int32{4242}, "python3 (PID 4242) on GPU 0 exited"},
		{"capital yes", false, false, []string{"x", "Y"}, []int32{5150}, "exited"},
		{"no", false, false, []string{"x", "n"}, nil, "cancelled"},
		{"esc", false, false, []string{"x", "esc"}, nil, "cancelled"},
		{"any other key", false, false, []string{"x", "q"}, nil, "cancelled"},
		{"enter is not yes", false, false, []string{"x", "enter"}, nil, "cancelled"},
		{"read-only", true, false, []string{"x", "y"}, nil, "read-only"},
		{"read-only twice", true, false, []string{"x", "x", "y", "y"}, nil, "read-only"},
		{"no terminate", false, true, []string{"x", "y"}, nil, "not available"},
		{"unresolved refused", false, false, []string{"down", "down", "x", "y"}, nil, "not visible"},
		{"zombie refused", false, false, []string{"down", "down", "down", "x", "y"}, nil, "zombie"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ft := &fakeTerminate{}
			term := ft
			if tt.nilTerm {
				term = nil
			}
			p := newTestTable(t, term, tt.readOnly)
			var said []string // every status shown along the way
			for i, k := range tt.keys {
				sendProcKeys(p, k)
				said = append(said, p.status)
				if k == "x" && len(ft.got()) != 0 {
					t.Fatalf("terminate called on the first key %d, before any confirmation", i)
				}
			}
			if got := ft.got(); !slices.Equal(got, tt.wantCalls) {
				t.Errorf("terminate calls %v, want %v", got, tt.wantCalls)
			}
			if p.Confirming() {
				t.Error("prompt still open after the answer")
			}
			if !strings.Contains(strings.Join(said, "\n"), tt.status) {
				t.Errorf("statuses %q, want one to contain %q", said, tt.status)
			}
		})
	}
}

func TestProcsConfirmPromptAndCommand(t *testing.T) {
	ft := &fakeTerminate{err: errors.New("operation not permitted")}
	p := newTestTable(t, ft, false)
	p.SetSize(100, 10)
	// x only tells the root that the prompt takes the keys now.
	if cmd := p.Update(press("x")); cmd == nil {
		t.Fatal("x did not ask the root to route every key to the prompt")
	} else if msg, ok := cmd().(captureKeysMsg); !ok || !msg.on {
		t.Fatalf("x returned %#v before confirmation", msg)
	}
	if !p.Confirming() {
		t.Fatal("x did not open the prompt")
	}
	want := "Send SIGTERM to python3 (PID 5150) on GPU 1? y/N"
	if v := ansi.Strip(p.View()); !strings.Contains(v, want) {
		t.Errorf("prompt missing %q in\n%s", want, v)
	}
	if h := p.ShortHelp(); len(h) != 2 || h[0].Help().Key != "y" {
		t.Errorf("help while confirming = %v, want y and n/esc", h)
	}
	cmd := p.Update(press("y"))
	if cmd == nil {
		t.Fatal("y returned no command")
	}
	if len(ft.got()) != 0 {
		t.Fatal("terminate ran in Update instead of in the command")
	}
	runProcCmd(p, cmd) // the command, and its result back to the table
	if got := ft.got(); !slices.Equal(got, []int32{5150}) {
		t.Fatalf("terminate calls %v, want [5150]", got)
	}
	if !p.statusErr || !strings.Contains(p.status, "operation not permitted") {
		t.Errorf("status %q (err %v), want the error", p.status, p.statusErr)
	}
}

func TestProcsHelpSaysReadOnly(t *testing.T) {
	for _, tt := range []struct {
		readOnly bool
		term     func(int32) error
		want     string
	}{
		{false, func(int32) error { return nil }, "terminate process"},
		{true, func(int32) error { return nil }, "off: read-only"},
		{false, nil, "not available"},
	} {
		p := newProcsTable(compCommon(t), tt.term, tt.readOnly)
		if got := p.keys.Kill.Help().Desc; !strings.Contains(got, tt.want) {
			t.Errorf("readOnly=%v: kill help %q, want %q", tt.readOnly, got, tt.want)
		}
	}
}

// Every width from nothing to very wide draws exactly the size given, and
// the command column is what gives way first.
func TestProcsFitsAnyWidth(t *testing.T) {
	p := newTestTable(t, nil, false)
	for w := 0; w <= 220; w++ {
		for _, h := range []int{0, 1, 3, 8} {
			p.SetSize(w, h)
			v := p.View()
			if h == 0 || w == 0 {
				if v != "" && lipgloss.Height(v) > h {
					t.Fatalf("%dx%d: drew %q", w, h, v)
				}
				continue
			}
			checkScreen(t, v, w, h)
		}
	}
	has := func(w int, col string) bool {
		keep, _ := tableLayout(procTableCols, w)
		for _, i := range keep {
			if procCols[i].Title == col {
				return true
			}
		}
		return false
	}
	full := 0 // every column but the command, each with its gap
	for _, c := range procCols[:len(procCols)-1] {
		full += c.Width + 1
	}
	if !has(full+procCmdMin, "RSS") {
		t.Error("RSS dropped although everything fits")
	}
	if has(full+procCmdMin-1, "RSS") {
		t.Error("RSS kept although the command would be narrower than its minimum")
	}
	if !has(full+procCmdMin-1, "CPU") {
		t.Error("CPU dropped before RSS")
	}
	// The narrowest table the dashboard draws (60 columns less borders).
	if !has(40, "PID") || !has(40, "GPU MEM") || !has(40, "COMMAND") {
		t.Error("PID, GPU memory and the command must survive the narrowest table")
	}
}

// The hint replaces the table only while nothing resolves: one resolved
// process means the namespace is shared and unknown PIDs are just gone.
func TestProcsHintOnlyWhenNothingResolves(t *testing.T) {
	p := newTestTable(t, nil, false)
	p.SetSize(120, 14)
	p.SetData(testProcs(), nil, true, testHint)
	if v := p.View(); strings.Contains(v, "--pid=host") {
		t.Error("hint shown although processes resolve")
	}
	p.SetData([]model.Process{{PID: 1, UsedMemory: model.Some[uint64](1 << 30)}}, nil, true, testHint)
	v := ansi.Strip(p.View())
	if strings.Count(v, "--pid=host") != 1 {
		t.Errorf("hint should appear exactly once:\n%s", v)
	}
	if strings.Contains(v, "not visible from this PID namespace") {
		t.Errorf("table of unknowns drawn under the hint:\n%s", v)
	}
}

var _ component = (*procsTable)(nil)
var _ tea.Msg = procTerminatedMsg{}

func TestProcsSelectionFollowsNewSample(t *testing.T) {
	p := newTestTable(t, nil, false)
	sendProcKeys(p, "down", "down", "down", "down") // 31337, last by memory
	procs := testProcs()
	procs[4].UsedMemory = model.Some[uint64](79 << 30) // Xorg now holds the most
	p.SetData(procs, nil, false, "")
	if p.selected != 0 || p.procs[p.selected].PID != 31337 {
		t.Errorf("selection at %d (PID %d), want it to follow PID 31337 to the top", p.selected, p.procs[p.selected].PID)
	}
	// The selected process leaves: the cursor stays on its row.
	sendProcKeys(p, "down", "down")
	p.SetData(slices.Delete(slices.Clone(procs), 0, 1), nil, false, "") // drop 4242, the selected one
	if p.selected != 2 {
		t.Errorf("selection moved to %d when its process left, want it to stay at 2", p.selected)
	}
}

func TestProcsStatusClearsOnNextKey(t *testing.T) {
	p := newTestTable(t, nil, true)
	sendProcKeys(p, "x")
	if p.status == "" {
		t.Fatal("no status after x in read-only mode")
	}
	sendProcKeys(p, "down")
	if p.status != "" {
		t.Errorf("status %q still shown after the next key", p.status)
	}
}

// / filters the table by PID, user or command; esc while typing clears it;
// while typing, keys are text (q does not quit, x does not terminate).
func TestProcsFilter(t *testing.T) {
	p := newTestTable(t, &fakeTerminate{}, false)
	p.SetSize(120, 10)
	sendProcKeys(p, "/", "v", "l", "l", "m")
	if !p.Confirming() {
		t.Fatal("typing a filter must capture the keys")
	}
	if got := procPIDs(p); !slices.Equal(got, []uint32{5150}) {
		t.Errorf("filter vllm: %v", got)
	}
	p.Update(tea.KeyMsg{Type: tea.KeyEnter})
	if p.Confirming() || !strings.Contains(p.View(), "filter: vllm (of 5)") {
		t.Errorf("enter keeps the filter and ends typing:\n%s", p.View())
	}
	sendProcKeys(p, "/")
	p.Update(tea.KeyMsg{Type: tea.KeyEsc})
	if len(p.procs) != 5 {
		t.Errorf("esc while typing clears the filter: %d rows", len(p.procs))
	}
}
