package dropout

import (
	"os"
	"reflect"
	"slices"
	"testing"
)

// archTestKernels holds kernel sets that the dispatch does not choose on
// this CPU but that must match the reference too (set by the architecture's
// test file).
var archTestKernels []*kernels

// testedKernels returns the implementations and archTestKernels.
func testedKernels() []*kernels {
	return append(slices.Clip(implementations), archTestKernels...)
}

func TestChoose(t *testing.T) {
	g := &kernels{name: "generic"}
	a2 := &kernels{name: "avx2"}
	a5 := &kernels{name: "avx512"}
	all := []*kernels{g, a2, a5}
	cases := []struct {
		impls []*kernels
		limit string
		want  string
	}{
		{all, "", "avx512"},
		{all, "avx512", "avx512"},
		{all, "AVX2", "avx2"},
		{all, "generic", "generic"},
		{all, "bogus", "generic"},
		{[]*kernels{g, a2}, "avx512", "avx2"},
		{[]*kernels{g}, "avx512", "generic"},
		{[]*kernels{g, {name: "neon"}}, "", "neon"},
		{[]*kernels{g, {name: "neon"}}, "generic", "generic"},
	}
	for _, c := range cases {
		if got := choose(c.impls, c.limit).name; got != c.want {
			t.Errorf("choose(%q) = %s, want %s", c.limit, got, c.want)
		}
	}
}

// TestDispatch checks the choice made at init. CI runs the test binary
// under CPU emulators and sets DROPOUT_EXPECT_IMPL to what that CPU must get.
func TestDispatch(t *testing.T) {
	if implementations[0] != &genericKernels {
		t.Fatal("the pure-Go kernels must always be available, first")
	}
	if want := os.Getenv("DROPOUT_EXPECT_IMPL"); want != "" && Impl() != want {
		t.Fatalf("Impl() = %s, want %s (DROPOUT_IMPL=%q, available %v)", Impl(), want, os.Getenv("DROPOUT_IMPL"), Implementations())
	}
	t.Logf("Impl() = %s, available %v", Impl(), Implementations())
}

// TestKernelSetsComplete: every kernel set, and its streaming set if it has
// one, provides every kernel itself, so each path the suite checks is really
// that path. Only the streaming sets, whose stores are non-temporal, fence.
func TestKernelSetsComplete(t *testing.T) {
	for _, k := range implementations {
		for _, set := range []*kernels{k, k.stream} {
			if set == nil {
				continue
			}
			v := reflect.ValueOf(*set)
			for i := range v.NumField() {
				f, name := v.Field(i), v.Type().Field(i).Name
				if name == "fence" && f.IsNil() != (set == k) {
					t.Errorf("kernel set %s (streaming: %v): fence set %v", k.name, set != k, !f.IsNil())
					continue
				}
				if name != "fence" && f.Kind() == reflect.Func && f.IsNil() {
					t.Errorf("kernel set %s (streaming: %v) has no %s kernel", k.name, set != k, name)
				}
			}
		}
	}
}
