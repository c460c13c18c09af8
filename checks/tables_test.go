package checks

import (
	"strings"
	"testing"
)

// The tables are transcribed by hand: every version must parse, every row
// must cite a source, and UNVERIFIED rows must say so in their source.
func TestTablesAreWellFormed(t *testing.T) {
	must := func(where, v string) {
		t.Helper()
		if _, err := ParseVersion(v); err != nil {
			t.Errorf("%s: %v", where, err)
		}
	}
	for _, r := range cudaDriverTable {
		must("cuda "+r.Toolkit, r.Toolkit)
		if len(r.Full) == 0 || r.Source == "" {
			t.Errorf("cuda %s: no driver or no source", r.Toolkit)
		}
		for i, v := range r.Full {
			must("cuda "+r.Toolkit, v)
			if i > 0 && MustVersion(v).Less(MustVersion(r.Full[i-1])) {
				t.Errorf("cuda %s: update %d needs an older driver than update %d", r.Toolkit, i, i-1)
			}
		}
		if (r.Unverified != "") != strings.Contains(r.Source, unverifiedLabel) {
			t.Errorf("cuda %s: unverified note and source disagree", r.Toolkit)
		}
		if _, ok := floorFor(MustVersion(r.Toolkit).Major()); !ok {
			t.Errorf("cuda %s: no floor for its major", r.Toolkit)
		}
	}
	for i := 1; i < len(cudaDriverTable); i++ {
		if !MustVersion(cudaDriverTable[i].Toolkit).Less(MustVersion(cudaDriverTable[i-1].Toolkit)) {
			t.Errorf("cuda table not newest first at %s", cudaDriverTable[i].Toolkit)
		}
	}
	for _, r := range archTable {
		for _, v := range []string{r.FirstToolkit, r.RemovedIn, r.MinDriver} {
			if v != "" {
				must(r.Name, v)
			}
		}
		if r.Source == "" || r.CCMin > r.CCMax {
			t.Errorf("arch %s: bad row", r.Name)
		}
	}
	for _, r := range cudnnSupportTable {
		must("cudnn", r.CuDNNMin)
		must("cudnn", r.CuDNNMax)
		must("cudnn", r.DriverFloor)
		if r.Source == "" {
			t.Error("cudnn row without source")
		}
	}
	for _, r := range torchWheelTable {
		must("torch wheel", r.DriverFloor)
		must("torch wheel", r.CUDAMin)
		must("torch wheel", r.CUDAMax)
	}
	for _, r := range torchArchTable {
		if (r.Unverified != "") != strings.Contains(r.Source, unverifiedLabel) {
			t.Errorf("torch arch %s-%s: unverified note and source disagree", r.CUDAMin, r.CUDAMax)
		}
	}
	for _, r := range pciIDTable {
		if !strings.Contains(r.Source, "third-party") {
			t.Errorf("PCI id row %s must be marked third-party", r.Family)
		}
	}
	for _, r := range bar1Table {
		if r.Source == "" || r.Size == 0 {
			t.Errorf("bar1 row %v: bad", r.Tokens)
		}
	}
}

func TestBAR1RowLookup(t *testing.T) {
	tests := map[string]string{
		"NVIDIA H100 80GB HBM3": "H100", "NVIDIA H200": "H200", "NVIDIA A10": "A10 ", "NVIDIA A100-SXM4-40GB": "A100",
		"NVIDIA L40S": "L40S", "NVIDIA L40": "L40", "Tesla T4": "T4", "NVIDIA A40": "A40",
	}
	for name, token := range tests {
		r, ok := bar1RowFor(name)
		if !ok || r.Tokens[0] != token {
			t.Errorf("bar1RowFor(%q) = %v %v, want the %q row", name, r.Tokens, ok, token)
		}
	}
	if _, ok := bar1RowFor("NVIDIA GeForce RTX 4090"); ok {
		t.Error("RTX 4090 has no fixed BAR1 row")
	}
}
