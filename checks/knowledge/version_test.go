package knowledge

import "testing"

func TestParseVersion(t *testing.T) {
	tests := []struct {
		in      string
		want    []int
		wantErr bool
	}{
		{"570.124.06", []int{570, 124, 6}, false},
		{"570.26", []int{570, 26}, false},
		{" 12.8 ", []int{12, 8}, false},
		{"V13.0.88", []int{13, 0, 88}, false},
		{"2.5.1+cu124", []int{2, 5, 1}, false},
		{"2.6.0-rc1", []int{2, 6, 0}, false},
		{"9", []int{9}, false},
		{"", nil, true},
		{"+cu124", nil, true},
		{"12..8", nil, true},
		{"12.8.", nil, true},
		{".12", nil, true},
		{"12.x", nil, true},
		{"1e3", nil, true},
		{"abc", nil, true},
		{"99999999999999999999999", nil, true},
		{"12. 8", nil, true},
	}
	for _, tt := range tests {
		v, err := ParseVersion(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseVersion(%q) err = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if tt.wantErr {
			if !v.IsZero() {
				t.Errorf("ParseVersion(%q) returned %v with an error", tt.in, v)
			}
			continue
		}
		if len(v.parts) != len(tt.want) {
			t.Errorf("ParseVersion(%q) = %v, want %v", tt.in, v.parts, tt.want)
			continue
		}
		for i := range tt.want {
			if v.parts[i] != tt.want[i] {
				t.Errorf("ParseVersion(%q) = %v, want %v", tt.in, v.parts, tt.want)
			}
		}
	}
}

func TestVersionCompare(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"570.26", "570.124.06", -1}, // a string compare says the opposite
		{"570.124.06", "570.26", 1},
		{"570.124.06", "570.124.6", 0},
		{"12.8", "12.8.0", 0},
		{"12.8.0", "12.8", 0},
		{"12.10", "12.9", 1}, // and here too
		{"9.14.0", "9.19.0", -1},
		{"580", "580.65.06", -1},
		{"580.65.06", "580", 1},
		{"525.60.13", "525.60.13", 0},
		{"13.0", "12.9.1", 1},
		{"1", "1.0.0.0", 0},
		{"1.0.0.1", "1", 1},
	}
	for _, tt := range tests {
		a, b := MustVersion(tt.a), MustVersion(tt.b)
		if got := a.Compare(b); got != tt.want {
			t.Errorf("Compare(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := b.Compare(a); got != -tt.want {
			t.Errorf("Compare(%s, %s) = %d, want %d (antisymmetry)", tt.b, tt.a, got, -tt.want)
		}
		if a.Less(b) != (tt.want < 0) || a.AtLeast(b) != (tt.want >= 0) {
			t.Errorf("Less/AtLeast(%s, %s) disagree with Compare %d", tt.a, tt.b, tt.want)
		}
	}
}

func TestVersionParts(t *testing.T) {
	v := MustVersion("12.8.1")
	if v.Major() != 12 || v.Minor() != 8 || v.MajorMinor().String() != "12.8" {
		t.Errorf("parts of 12.8.1: major %d minor %d mm %s", v.Major(), v.Minor(), v.MajorMinor())
	}
	if v.String() != "12.8.1" {
		t.Errorf("String = %q", v.String())
	}
	if (Version{}).String() != "" || !(Version{}).IsZero() {
		t.Error("zero version should be empty")
	}
	for n, want := range map[int]string{13000: "13.0", 12040: "12.4", 12080: "12.8", 11080: "11.8", 12090: "12.9"} {
		if got := CUDAIntVersion(n).String(); got != want {
			t.Errorf("CUDAIntVersion(%d) = %s, want %s", n, got, want)
		}
	}
}

func TestMustVersionPanicsOnTypo(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustVersion(\"57O.26\") did not panic")
		}
	}()
	MustVersion("57O.26")
}
