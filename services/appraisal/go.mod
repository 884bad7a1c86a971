module github.com/aim-platform/aim/services/appraisal

go 1.26.8
