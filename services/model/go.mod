module github.com/aim-platform/aim/services/model

go 1.26.8
