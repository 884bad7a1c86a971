// Package telemetry sets up what every AIM process reports about itself:
// OpenTelemetry traces (exported over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is
// set, not at all otherwise), OpenTelemetry metrics read by a Prometheus
// registry for /metrics, and slog loggers whose records carry the trace and
// span ids of the context they are logged with.
//
// Providers are passed explicitly to whatever needs them; nothing here sets
// the OpenTelemetry globals.
package telemetry
