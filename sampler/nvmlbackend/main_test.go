package nvmlbackend

import (
	"testing"

	"go.uber.org/goleak"
)

// Events, Close and the sampler start goroutines; every one must be gone
// when the tests end.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
