package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
	"go.opentelemetry.io/otel/trace"
)

// Config chooses what a process exports.
type Config struct {
	// ServiceName names the process in traces and metrics, e.g. "aim-serve".
	ServiceName string
	// OTLPEndpoint, when set, turns on the OTLP/gRPC trace exporter. The
	// exporter reads the other OTEL_EXPORTER_OTLP_* variables itself.
	OTLPEndpoint string
}

// ConfigFromEnv returns a Config for the service with OTLPEndpoint taken
// from OTEL_EXPORTER_OTLP_ENDPOINT.
func ConfigFromEnv(serviceName string) Config {
	return Config{ServiceName: serviceName, OTLPEndpoint: os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT")}
}

// Providers holds a process's tracer and meter providers, its propagator and
// the Prometheus registry its metrics are read into.
type Providers struct {
	TracerProvider trace.TracerProvider
	MeterProvider  metric.MeterProvider
	Propagator     propagation.TextMapPropagator
	Registry       *prometheus.Registry

	shutdown []func(context.Context) error
}

// Setup builds the providers. Call Shutdown on the result to flush them.
func Setup(ctx context.Context, cfg Config) (*Providers, error) {
	if cfg.ServiceName == "" {
		return nil, errors.New("telemetry: ServiceName is required")
	}
	res := resource.NewSchemaless(semconv.ServiceName(cfg.ServiceName))
	p := &Providers{
		Propagator: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
		Registry:   prometheus.NewRegistry(),
	}
	p.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	exporter, err := otelprom.New(otelprom.WithRegisterer(p.Registry))
	if err != nil {
		return nil, fmt.Errorf("telemetry: prometheus exporter: %w", err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter), sdkmetric.WithResource(res),
		sdkmetric.WithView(dropRequestDerivedAttributes))
	p.MeterProvider = mp
	p.shutdown = append(p.shutdown, mp.Shutdown)

	// Spans are made even with no exporter, so that trace ids reach the
	// logs of every hop and a request can be followed through them. With no
	// exporter they are not recorded (the sampler drops them): a dropped
	// span still gets its ids and propagates them, and recording spans
	// nobody exports cost a read RPC about a tenth of its CPU.
	traceOpts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res), sdktrace.WithSampler(sdktrace.NeverSample())}
	if cfg.OTLPEndpoint != "" {
		traceOpts[1] = sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample()))
		traceExporter, err := otlptracegrpc.New(ctx)
		if err != nil {
			_ = p.Shutdown(ctx)
			return nil, fmt.Errorf("telemetry: OTLP trace exporter for %q: %w", cfg.OTLPEndpoint, err)
		}
		traceOpts = append(traceOpts, sdktrace.WithBatcher(traceExporter))
	}
	tp := sdktrace.NewTracerProvider(traceOpts...)
	p.TracerProvider = tp
	p.shutdown = append(p.shutdown, tp.Shutdown)
	return p, nil
}

// requestDerivedKeys are the metric attributes whose values the instrumentation
// takes from what a client sends (otelhttp's server.address and server.port
// come from the Host header) or from its address. Each distinct value makes
// a new series, so an unauthenticated client could fill every instrument to
// the SDK's series cap and blind the dashboards (L1). Every other attribute
// of the HTTP and gRPC metrics has a bounded set of values: the method is
// normalized (unknown ones become _OTHER), the route is the mux pattern,
// the status code and protocol version are the server's own.
var requestDerivedKeys = []attribute.Key{
	"server.address", "server.port", "client.address", "client.port",
	"network.peer.address", "network.peer.port", "network.local.address", "network.local.port",
	"url.full", "url.path", "url.query", "user_agent.original",
}

// dropRequestDerivedAttributes is the view that removes requestDerivedKeys
// from every instrument.
var dropRequestDerivedAttributes = sdkmetric.NewView(
	sdkmetric.Instrument{Name: "*"},
	sdkmetric.Stream{AttributeFilter: attribute.NewDenyKeysFilter(requestDerivedKeys...)},
)

// MetricsHandler serves the registry in the Prometheus text format.
func (p *Providers) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(p.Registry, promhttp.HandlerOpts{Registry: p.Registry})
}

// Shutdown flushes and stops the providers.
func (p *Providers) Shutdown(ctx context.Context) error {
	var errs []error
	for i := len(p.shutdown) - 1; i >= 0; i-- {
		errs = append(errs, p.shutdown[i](ctx))
	}
	p.shutdown = nil
	return errors.Join(errs...)
}
