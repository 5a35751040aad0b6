// Package implhook lets the module's own benchmarks and tools run every
// kernel set in one process. It is internal: users choose with DROPOUT_IMPL.
package implhook

// Use switches package dropout to the named kernel set and returns a
// function that restores the previous one; ok is false if this CPU or build
// lacks it. Package dropout sets it at init. Not safe for concurrent use.
var Use func(name string) (restore func(), ok bool)
