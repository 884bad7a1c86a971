// Package crosswalk wires the crosswalk resolution service: it opens the
// service's own bbolt file, installs the default frameworks into an empty
// store and registers aim.crosswalk.v1.CrosswalkService on a platform server.
package crosswalk

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	crosswalkv1 "github.com/aim-platform/aim/gen/aim/crosswalk/v1"
	"github.com/aim-platform/aim/platform/server"
	pstore "github.com/aim-platform/aim/platform/store"
	cserver "github.com/aim-platform/aim/services/crosswalk/internal/server"
	"github.com/aim-platform/aim/services/crosswalk/internal/store"
)

// ServiceName is the gRPC service name, also its health-check name.
const ServiceName = "aim.crosswalk.v1.CrosswalkService"

// StoreFile is the name of the service's bbolt file in the data directory.
const StoreFile = "crosswalk.db"

// Config configures the service.
type Config struct {
	// DataDir holds StoreFile.
	DataDir string
	// LockTimeout bounds the wait for the store's file lock.
	LockTimeout time.Duration
}

// Service is an open crosswalk service.
type Service struct {
	store *store.Store
}

// Open opens the store and installs the default frameworks it lacks.
func Open(cfg Config, logger *slog.Logger) (*Service, error) {
	scfg := pstore.DefaultConfig(filepath.Join(cfg.DataDir, StoreFile))
	if cfg.LockTimeout > 0 {
		scfg.LockTimeout = cfg.LockTimeout
	}
	st, err := store.Open(scfg)
	if err != nil {
		return nil, fmt.Errorf("crosswalk store: %w", err)
	}
	n, err := st.InstallDefaults(time.Now())
	if err != nil {
		_ = st.Close()
		return nil, fmt.Errorf("crosswalk store: install defaults: %w", err)
	}
	if n > 0 {
		logger.Info("installed default frameworks", slog.Int("count", n))
	}
	return &Service{store: st}, nil
}

// Register adds the service to srv and marks it serving.
func (s *Service) Register(srv *server.Server) {
	srv.Register(&crosswalkv1.CrosswalkService_ServiceDesc, cserver.New(s.store))
	srv.SetServing(ServiceName)
}

// DB returns the service's store, for backups.
func (s *Service) DB() *pstore.DB { return s.store.DB() }

// Close closes the store.
func (s *Service) Close() error { return s.store.Close() }
