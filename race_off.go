//go:build !race

package dropout

func raceRead[T any](s []T)  {}
func raceWrite[T any](s []T) {}

const raceEnabled = false
