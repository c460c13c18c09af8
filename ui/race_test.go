//go:build race

package ui

// raceEnabled trims the exhaustive size test, which the race detector
// slows tenfold without finding anything a plain run would not.
const raceEnabled = true
