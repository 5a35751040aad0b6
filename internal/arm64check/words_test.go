package arm64check

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/arch/arm64/arm64asm"
)

const asmFile = "../../kernel_arm64.s"

var (
	wordLine = regexp.MustCompile(`^\s*WORD\s+\$0x([0-9a-fA-F]{8})\s*//\s*(.+?)\s*$`)
	anyWord  = regexp.MustCompile(`\bWORD\b`)
	spaces   = regexp.MustCompile(`\s+`)
)

// normalize lowercases an instruction and spaces it as "op a, b, c". GNU
// syntax from arm64asm and llvm-mc's text agree for every instruction used
// here (umull, umull2, bic, fmul, fadd, umaxv, fcvtl, fcvtl2, fcvtn, fcvtn2,
// addhn, addhn2), so no other rewriting is done.
func normalize(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = spaces.ReplaceAllString(s, " ")
	s = strings.ReplaceAll(s, " ,", ",")
	s = strings.ReplaceAll(s, ",", ", ")
	return spaces.ReplaceAllString(s, " ")
}

// checkWords returns the number of WORD lines in src and a description of
// every one whose encoding does not decode to its comment.
func checkWords(src []byte) (n int, errs []string) {
	for i, line := range strings.Split(string(src), "\n") {
		code := line
		if j := strings.Index(code, "//"); j >= 0 {
			code = code[:j]
		}
		if !anyWord.MatchString(code) {
			continue
		}
		n++
		m := wordLine.FindStringSubmatch(line)
		if m == nil {
			errs = append(errs, fmt.Sprintf("line %d: WORD without a 32-bit hex value and instruction comment: %q", i+1, line))
			continue
		}
		w, err := strconv.ParseUint(m[1], 16, 32)
		if err != nil {
			errs = append(errs, fmt.Sprintf("line %d: %v", i+1, err))
			continue
		}
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], uint32(w))
		inst, err := arm64asm.Decode(b[:])
		if err != nil {
			errs = append(errs, fmt.Sprintf("line %d: %#08x does not decode (%v); comment says %q", i+1, w, err, m[2]))
			continue
		}
		if got, want := normalize(arm64asm.GNUSyntax(inst)), normalize(m[2]); got != want {
			errs = append(errs, fmt.Sprintf("line %d: %#08x decodes to %q, comment says %q", i+1, w, got, want))
		}
	}
	return n, errs
}

func TestWordsMatchComments(t *testing.T) {
	src, err := os.ReadFile(asmFile)
	if err != nil {
		t.Fatal(err)
	}
	n, errs := checkWords(src)
	for _, e := range errs {
		t.Error(e)
	}
	if n == 0 {
		t.Fatalf("no WORD lines found in %s", asmFile)
	}
	t.Logf("%d WORD lines checked", n)
}

// TestCheckerRejects makes sure the checker itself fails on a wrong
// encoding, a missing comment and an undecodable word.
func TestCheckerRejects(t *testing.T) {
	for _, bad := range []string{
		"\tWORD $0x6e22dc24 // fmul v3.4s, v1.4s, v2.4s\n", // wrong Rd
		"\tWORD $0x6e22dc23 // fmul v3.2d, v1.2d, v2.2d\n", // wrong arrangement
		"\tWORD $0x6e22dc23\n",
		"\tWORD $0x00000000 // udf #0x0\n",
	} {
		if n, errs := checkWords([]byte(bad)); n != 1 || len(errs) != 1 {
			t.Errorf("checker accepted %q", bad)
		}
	}
	if n, errs := checkWords([]byte("\tWORD $0x6e22dc23 // FMUL  V3.4S,V1.4S, V2.4S\n")); n != 1 || len(errs) != 0 {
		t.Errorf("checker rejected a correct word: %v", errs)
	}
}

// TestGenerated checks that kernel_arm64.s is what genneon writes.
func TestGenerated(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go run")
	}
	want, err := exec.Command("go", "run", "./genneon").Output()
	if err != nil {
		t.Fatalf("go run ./genneon: %v", err)
	}
	got, err := os.ReadFile(asmFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale: run go generate in the dropout package", asmFile)
	}
}
