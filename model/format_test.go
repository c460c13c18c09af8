package model

import "testing"

// One spelling per quantity: the dashboard and the report call these.
func TestFormatters(t *testing.T) {
	cases := []struct{ got, want string }{
		{FormatMemory(Some[uint64](45<<30+(1<<29)/5), Some[uint64](80<<30)), "45.1/80.0 GiB"},
		{FormatMemory(Some[uint64](1<<30), None[uint64]()), "1.0 GiB"},
		{FormatMemory(None[uint64](), Some[uint64](1)), "N/A"},
		{FormatPercent(Some[uint32](67)), "67%"},
		{FormatPower(Some[uint32](386600), Some[uint32](700000)), "387/700 W"}, // rounded, not cut
		{FormatPower(Some[uint32](712000), None[uint32]()), "712 W"},
		{FormatPower(None[uint32](), Some[uint32](700000)), "N/A"},
		{FormatTemp(Some[int32](54), Some[int32](87)), "54/87°C"},
		{FormatTemp(Some[int32](-5), None[int32]()), "-5°C"},
		{FormatBusID("00000000:18:00.0"), "18:00.0"},
		{FormatBusID("0000:3b:00.0"), "3b:00.0"},
		{FormatBusID("00000001:18:00.0"), "00000001:18:00.0"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
