// Package appraisal wires the appraisal execution service: it opens the
// service's own bbolt file and registers aim.appraisal.v1.AppraisalService
// on a platform server.
package appraisal

import (
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	"github.com/aim-platform/aim/platform/client"
	"github.com/aim-platform/aim/platform/server"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/platform/telemetry"
	aserver "github.com/aim-platform/aim/services/appraisal/internal/server"
	"github.com/aim-platform/aim/services/appraisal/internal/store"
)

// ServiceName is the gRPC service name, also its health-check name.
const ServiceName = "aim.appraisal.v1.AppraisalService"

// DefaultWatchIdleTimeout is how long a watch stream may go without an
// event before it ends with OK (the client resumes from the last sequence
// it received).
const DefaultWatchIdleTimeout = aserver.DefaultWatchIdleTimeout

// StoreFile is the name of the service's bbolt file in the data directory.
const StoreFile = "appraisal.db"

// Config configures the service.
type Config struct {
	// DataDir holds StoreFile.
	DataDir string
	// LockTimeout bounds the wait for the store's file lock.
	LockTimeout time.Duration
	// ModelAddr is the gRPC address of the model catalog service, which
	// planning reads the scope from (with the caller's credentials).
	ModelAddr string
	// WatchIdleTimeout ends a watch stream that got no event for that
	// long; zero means DefaultWatchIdleTimeout.
	WatchIdleTimeout time.Duration
}

// Service is an open appraisal service.
type Service struct {
	store  *store.Store
	conn   *grpc.ClientConn
	server *aserver.Server
}

// Open opens the store and a (lazy) connection to the model catalog.
func Open(cfg Config, tel *telemetry.Providers) (*Service, error) {
	if cfg.ModelAddr == "" {
		return nil, fmt.Errorf("appraisal: the model catalog's address is required")
	}
	st, err := store.Open(pstore.ConfigIn(cfg.DataDir, StoreFile, cfg.LockTimeout))
	if err != nil {
		return nil, fmt.Errorf("appraisal store: %w", err)
	}
	conn, err := client.Dial(cfg.ModelAddr, client.Options{Telemetry: tel, ForwardCredentials: true})
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	return &Service{store: st, conn: conn, server: aserver.New(st, aserver.NewCatalog(conn), aserver.WatchIdleTimeout(cfg.WatchIdleTimeout))}, nil
}

// Register adds the service to srv and marks it serving. When srv begins to
// shut down, the service ends its watch streams, so that the drain does not
// wait for them.
func (s *Service) Register(srv *server.Server) {
	srv.Register(&appraisalv1.AppraisalService_ServiceDesc, s.server)
	srv.OnShutdown(s.server.Close)
	srv.SetServing(ServiceName)
}

// DB returns the service's store, for backups.
func (s *Service) DB() *pstore.DB { return s.store.DB() }

// Close ends watch streams, the catalog connection and the store.
func (s *Service) Close() error {
	s.server.Close()
	return errors.Join(s.conn.Close(), s.store.Close())
}
