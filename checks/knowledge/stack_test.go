package knowledge

import "testing"

// TestTensorRTCudnnBoundaries pins the first and last TensorRT version of
// each row, the gaps between rows and the ends of the table.
func TestTensorRTCudnnBoundaries(t *testing.T) {
	for _, tt := range []struct {
		trt, cudnn string
		confirmed  bool
	}{
		{"8.0.0", "8.2.0", true},    // 8.0.0 EA: the first row
		{"8.0.0.11", "8.2.0", true}, // a fourth component is a build number
		{"8.0.1", "8.2.1", true},    // 8.0 GA
		{"8.0.3.4", "8.2.1", true},  // 8.0 GA
		{"8.2.0", "8.2.1", false},   // 8.2.0-8.2.4 not read
		{"8.2.4.2", "8.2.1", false}, // last of the unread 8.2s
		{"8.2.5", "8.2.1", true},    // read
		{"8.2.5.1", "8.2.1", true},  //
		{"8.4.0", "8.4.1", false},   // 8.4.0 EA not read
		{"8.4.1", "8.4.1", true},    //
		{"8.4.3.1", "8.4.1", true},  //
		{"8.5.1", "8.6.0", false},   // 8.5.1-8.5.2 not read
		{"8.5.2.2", "8.6.0", false}, //
		{"8.5.3", "8.6.0", true},    //
		{"8.5.3.1", "8.6.0", true},  //
		{"8.6.0", "8.9.0", false},   // 8.6.0 EA not read
		{"8.6.1", "8.9.0", true},    //
		{"8.6.1.6", "8.9.0", true},  // the last TensorRT 8 release
		{"8.6.99", "8.9.0", true},   // last of the row
	} {
		r, ok := TensorRTCudnn(MustVersion(tt.trt))
		if !ok || r.Cudnn != tt.cudnn || r.Confirmed() != tt.confirmed {
			t.Errorf("TensorRTCudnn(%s) = %q confirmed %v ok %v, want %q confirmed %v", tt.trt, r.Cudnn, r.Confirmed(), ok, tt.cudnn, tt.confirmed)
		}
	}
	for _, v := range []string{"7.2.3", "8.1.0", "8.3.1", "8.7.0", "9.0.1", "10.0.1", "10.14.1"} {
		if r, ok := TensorRTCudnn(MustVersion(v)); ok {
			t.Errorf("TensorRTCudnn(%s) = %q, want no row (not in NVIDIA's 8.x matrices, or TensorRT 10 without cuDNN)", v, r.Cudnn)
		}
	}
	if _, ok := TensorRTCudnn(Version{}); ok {
		t.Error("TensorRTCudnn(zero) found a row")
	}
	rows := TensorRTCudnnRows()
	for i, r := range rows {
		if MustVersion(r.Max).Less(MustVersion(r.Min)) {
			t.Errorf("row %s: max below min", r.Range())
		}
		if i > 0 && !MustVersion(rows[i-1].Max).Less(MustVersion(r.Min)) {
			t.Errorf("rows %s and %s overlap or are out of order", rows[i-1].Range(), r.Range())
		}
		if r.Cudnn == "" || r.CUDA == "" {
			t.Errorf("row %s: empty cuDNN or CUDA", r.Range())
		}
	}
}
