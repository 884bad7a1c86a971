// Package appraisal wires the appraisal execution service: it opens the
// service's own bbolt file and registers aim.appraisal.v1.AppraisalService
// on a platform server.
package appraisal

import (
	"fmt"
	"path/filepath"
	"time"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	"github.com/aim-platform/aim/platform/server"
	pstore "github.com/aim-platform/aim/platform/store"
	aserver "github.com/aim-platform/aim/services/appraisal/internal/server"
	"github.com/aim-platform/aim/services/appraisal/internal/store"
)

// ServiceName is the gRPC service name, also its health-check name.
const ServiceName = "aim.appraisal.v1.AppraisalService"

// StoreFile is the name of the service's bbolt file in the data directory.
const StoreFile = "appraisal.db"

// Config configures the service.
type Config struct {
	// DataDir holds StoreFile.
	DataDir string
	// LockTimeout bounds the wait for the store's file lock.
	LockTimeout time.Duration
}

// Service is an open appraisal service.
type Service struct {
	store *store.Store
}

// Open opens the store.
func Open(cfg Config) (*Service, error) {
	scfg := pstore.DefaultConfig(filepath.Join(cfg.DataDir, StoreFile))
	if cfg.LockTimeout > 0 {
		scfg.LockTimeout = cfg.LockTimeout
	}
	st, err := store.Open(scfg)
	if err != nil {
		return nil, fmt.Errorf("appraisal store: %w", err)
	}
	return &Service{store: st}, nil
}

// Register adds the service to srv and marks it serving.
func (s *Service) Register(srv *server.Server) {
	srv.Register(&appraisalv1.AppraisalService_ServiceDesc, aserver.New(s.store))
	srv.SetServing(ServiceName)
}

// DB returns the service's store, for backups.
func (s *Service) DB() *pstore.DB { return s.store.DB() }

// Close closes the store.
func (s *Service) Close() error { return s.store.Close() }
