module github.com/aim-platform/aim/services/gateway

go 1.26.8
