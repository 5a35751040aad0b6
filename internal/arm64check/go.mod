module github.com/gokernels/dropout/internal/arm64check

go 1.26.0

require golang.org/x/arch v0.33.0
