//go:build race

package dropout

import (
	"runtime"
	"unsafe"
)

// Assembly memory accesses are invisible to the race detector, so the
// drivers declare each call's reads and writes up front.

func raceRead[T any](s []T) {
	if len(s) > 0 {
		runtime.RaceReadRange(unsafe.Pointer(&s[0]), len(s)*int(unsafe.Sizeof(s[0])))
	}
}

func raceWrite[T any](s []T) {
	if len(s) > 0 {
		runtime.RaceWriteRange(unsafe.Pointer(&s[0]), len(s)*int(unsafe.Sizeof(s[0])))
	}
}

const raceEnabled = true
