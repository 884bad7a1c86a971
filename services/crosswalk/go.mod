module github.com/aim-platform/aim/services/crosswalk

go 1.26.8
