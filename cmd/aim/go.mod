module github.com/aim-platform/aim/cmd/aim

go 1.26.8
