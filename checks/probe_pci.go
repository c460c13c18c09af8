package checks

import (
	"os"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/gputop/gputop/model"
)

const (
	ioresourceMem      = 0x00000200
	ioresourceUnset    = 0x20000000
	ioresourceDisabled = 0x10000000
	pciDevicesDir      = "/sys/bus/pci/devices"
)

// probePCI lists NVIDIA functions in sysfs with their driver and memory BARs.
func probePCI(env Env) model.PCIFacts {
	p := model.PCIFacts{Devices: []model.PCIDevice{}}
	entries, err := os.ReadDir(env.hostResolved(pciDevicesDir))
	if err != nil {
		p.Error = "list " + pciDevicesDir + ": " + err.Error()
		return p
	}
	p.Readable = true
	for _, e := range entries {
		dir := path.Join(pciDevicesDir, e.Name())
		vendor, err := readHex(env, path.Join(dir, "vendor"))
		if err != nil || vendor != 0x10de {
			continue
		}
		d := model.PCIDevice{BDF: e.Name(), Vendor: uint16(vendor), BARs: []model.PCIBAR{}}
		var errs []string
		if v, err := readHex(env, path.Join(dir, "device")); err == nil {
			d.Device = uint16(v)
		} else {
			errs = append(errs, err.Error())
		}
		if v, err := readHex(env, path.Join(dir, "class")); err == nil {
			d.Class = uint32(v)
		} else {
			errs = append(errs, err.Error())
		}
		if t, err := os.Readlink(env.host(path.Join(dir, "driver"))); err == nil {
			d.Driver = path.Base(t)
		}
		if b, err := env.readFile(path.Join(dir, "resource")); err == nil {
			d.BARs = parseResource(string(b))
		} else {
			errs = append(errs, err.Error())
		}
		d.Error = strings.Join(errs, "; ")
		p.Devices = append(p.Devices, d)
	}
	sort.Slice(p.Devices, func(i, j int) bool { return p.Devices[i].BDF < p.Devices[j].BDF })
	return p
}

func readHex(env Env, p string) (uint64, error) {
	b, err := env.readFile(p)
	if err != nil {
		return 0, err
	}
	s := strings.TrimPrefix(strings.TrimSpace(string(b)), "0x")
	return strconv.ParseUint(s, 16, 64)
}

// parseResource reads sysfs `resource`: one "start end flags" line per
// resource. Lines 0-5 are the BARs (a 64-bit BAR takes two lines, the second
// all zero), line 6 the expansion ROM, later lines bridge/SR-IOV windows.
func parseResource(text string) []model.PCIBAR {
	bars := []model.PCIBAR{}
	for i, line := range strings.Split(text, "\n") {
		if i > 5 {
			break
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		start, err1 := strconv.ParseUint(strings.TrimPrefix(f[0], "0x"), 16, 64)
		end, err2 := strconv.ParseUint(strings.TrimPrefix(f[1], "0x"), 16, 64)
		flags, err3 := strconv.ParseUint(strings.TrimPrefix(f[2], "0x"), 16, 64)
		if err1 != nil || err2 != nil || err3 != nil || flags&ioresourceMem == 0 {
			continue
		}
		b := model.PCIBAR{Index: i, Start: start, Flags: flags}
		if end >= start && (end != 0 || start != 0) {
			b.Size = end - start + 1
		}
		b.Unassigned = start == 0 || flags&(ioresourceUnset|ioresourceDisabled) != 0
		bars = append(bars, b)
	}
	return bars
}
