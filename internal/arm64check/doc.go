// Package arm64check holds tests for the arm64 assembly of package dropout:
// every WORD directive in kernel_arm64.s must decode (golang.org/x/arch
// arm64asm, GNU syntax) to the instruction written in its comment, and the
// file must match what genneon generates. It is a separate module so that
// the library does not depend on golang.org/x/arch.
package arm64check
