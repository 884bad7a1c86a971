package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestSetupServesMetrics(t *testing.T) {
	ctx := context.Background()
	p, err := Setup(ctx, Config{ServiceName: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := p.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	}()
	counter, err := p.MeterProvider.Meter("test").Int64Counter("aim_test_calls")
	if err != nil {
		t.Fatal(err)
	}
	counter.Add(ctx, 3)
	rec := httptest.NewRecorder()
	p.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	if rec.Code != 200 || !strings.Contains(body, "aim_test_calls_total") || !strings.Contains(body, "go_goroutines") {
		t.Fatalf("metrics: %d\n%s", rec.Code, body)
	}
}

func TestSetupNeedsName(t *testing.T) {
	if _, err := Setup(context.Background(), Config{}); err == nil {
		t.Fatal("want error for empty service name")
	}
}

func TestLoggerCarriesTraceID(t *testing.T) {
	ctx := context.Background()
	p, err := Setup(ctx, Config{ServiceName: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown(ctx) //nolint:errcheck // test cleanup
	var buf bytes.Buffer
	logger, err := NewLogger(&buf, LogConfig{Format: "json", Level: "debug"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, span := p.TracerProvider.Tracer("test").Start(ctx, "op")
	logger.InfoContext(ctx, "hello")
	span.End()
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["trace_id"] != span.SpanContext().TraceID().String() || rec["span_id"] == nil {
		t.Fatalf("record without trace ids: %v", rec)
	}
}

func TestNewLoggerRejectsBadConfig(t *testing.T) {
	for _, cfg := range []LogConfig{{Format: "xml"}, {Level: "loud"}} {
		if _, err := NewLogger(&bytes.Buffer{}, cfg); err == nil {
			t.Errorf("NewLogger(%+v) accepted", cfg)
		}
	}
}
