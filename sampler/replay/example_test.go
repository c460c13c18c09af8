package replay_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/sampler"
	"github.com/gputop/gputop/sampler/replay"
)

// Export on one machine, replay on another: the wiring cmd/gputop needs for
// the `s` key and for --replay FILE.
func Example() {
	// On the GPU box: freeze the sampler's last minute with the checks.
	live := exampleSampler()
	in := live.CaptureInput(time.Minute)
	in.Version = "0.1.0"
	in.Checks = []model.CheckResult{{ID: "driver.loaded", Title: "NVIDIA driver loaded", Status: model.Pass}}
	snap := model.NewSnapshot(in) // redacts secrets by default
	dir, _ := os.MkdirTemp("", "gputop-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, model.DefaultSnapshotName(snap.Host, time.Date(2026, 11, 21, 7, 53, 0, 0, time.UTC), model.FormatJSON))
	if err := snap.Save(path, model.FormatJSON); err != nil {
		fmt.Println("gputop:", err)
		return
	}

	// On the laptop: gputop --replay FILE.
	loaded, err := model.LoadSnapshot(path)
	if err != nil {
		fmt.Println("gputop:", err) // and exit 2
		return
	}
	s, err := sampler.Open(context.Background(), replay.Load(loaded), replay.Options(loaded))
	if err != nil {
		fmt.Println("gputop:", err)
		return
	}
	if err := replay.Fill(s, loaded); err != nil {
		fmt.Println("gputop:", err)
		return
	}
	start, end, step := replay.Range(loaded)
	fmt.Println(filepath.Base(path))
	fmt.Println(s.System().Host, s.System().Source, len(s.GPUs()), "GPUs")
	fmt.Println(s.GPUs()[0].HistoryLen(), "samples from", start.Format(time.TimeOnly), "to", end.Format(time.TimeOnly), "every", step)
	// Output:
	// gputop-node7-20261121T075300Z.json
	// node7 replay 2 GPUs
	// 101 samples from 07:53:00 to 07:53:10 every 100ms
}

func exampleSampler() *sampler.Sampler {
	s, err := sampler.Open(context.Background(), &fakeBackend{gpus: 2},
		sampler.Options{Interval: 100 * time.Millisecond, SlowInterval: time.Second})
	if err != nil {
		panic(err)
	}
	for i := 0; i <= 100; i++ {
		s.Step(epoch.Add(time.Duration(i)*100*time.Millisecond), i%10 == 0)
	}
	return s
}
