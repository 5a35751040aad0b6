package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// encodeWithGoAsm returns the bytes the Go assembler emits for lines, a
// sequence of amd64 instructions.
func encodeWithGoAsm(t *testing.T, lines []string) []byte {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "x_amd64.s")
	text := "#include \"textflag.h\"\nTEXT ·f(SB), NOSPLIT, $0\n\t" + strings.Join(lines, "\n\t") + "\n"
	if err := os.WriteFile(src, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "tool", "asm", "-S", "-p", "x", "-I", filepath.Join(runtime.GOROOT(), "pkg", "include"), "-o", filepath.Join(dir, "x.o"), src)
	cmd.Env = append(os.Environ(), "GOARCH=amd64", "GOOS=linux")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go tool asm: %v\n%s", err, out)
	}
	// The listing ends with the function's bytes: "\t0x0000 62 f3 ...".
	hexLine := regexp.MustCompile(`(?m)^\s+0x[0-9a-f]{4} ((?:[0-9a-f]{2} )+)`)
	var code []byte
	for _, m := range hexLine.FindAllSubmatch(out, -1) {
		for _, h := range strings.Fields(string(m[1])) {
			b, err := strconv.ParseUint(h, 16, 8)
			if err != nil {
				t.Fatal(err)
			}
			code = append(code, byte(b))
		}
	}
	return code
}

// TestVFPCLASSPH checks the hand-made encoding against the Go assembler's
// VFPCLASSPSZ for every register pair: Intel encodes the two identically but
// for the EVEX pp field (66 for PS, none for PH), the third byte.
func TestVFPCLASSPH(t *testing.T) {
	var lines []string
	var want []byte
	for zmm := 0; zmm < 32; zmm++ {
		for k := 0; k < 8; k++ {
			imm := 0xb9 ^ zmm ^ k<<5
			lines = append(lines, fmt.Sprintf("VFPCLASSPSZ $%d, Z%d, K%d", imm, zmm, k))
			ph := vfpclassphZ(imm, zmm, k)
			if ph[2] != 0x7c {
				t.Fatalf("Z%d, K%d: third byte %#x, want 0x7c", zmm, k, ph[2])
			}
			ps := append([]byte(nil), ph...)
			ps[2] = 0x7d
			want = append(want, ps...)
		}
	}
	got := encodeWithGoAsm(t, append(lines, "RET"))
	want = append(want, 0xc3)
	if !bytes.Equal(got, want) {
		t.Fatalf("encodings differ:\ngot  % x\nwant % x", got, want)
	}
}

// TestVFPCLASSPHLLVM compares with llvm-mc where it is installed.
func TestVFPCLASSPHLLVM(t *testing.T) {
	if _, err := exec.LookPath("llvm-mc"); err != nil {
		t.Skip("llvm-mc not installed")
	}
	for _, c := range [][2]int{{0, 0}, {5, 1}, {8, 2}, {15, 3}, {16, 4}, {21, 7}, {31, 5}, {27, 1}} {
		zmm, k := c[0], c[1]
		cmd := exec.Command("llvm-mc", "-triple=x86_64", "-mattr=+avx512fp16", "-show-encoding")
		cmd.Stdin = strings.NewReader(fmt.Sprintf("vfpclassph $0xb9, %%zmm%d, %%k%d\n", zmm, k))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("llvm-mc: %v\n%s", err, out)
		}
		enc := regexp.MustCompile(`encoding: \[([^\]]+)\]`).FindSubmatch(out)
		if enc == nil {
			t.Fatalf("llvm-mc gave no encoding:\n%s", out)
		}
		var want []byte
		for _, h := range strings.Split(string(enc[1]), ",") {
			b, err := strconv.ParseUint(strings.TrimPrefix(h, "0x"), 16, 8)
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, byte(b))
		}
		if got := vfpclassphZ(0xb9, zmm, k); !bytes.Equal(got, want) {
			t.Errorf("Z%d, K%d: % x, llvm-mc % x", zmm, k, got, want)
		}
	}
}
