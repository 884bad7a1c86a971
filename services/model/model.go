// Package model wires the model catalog service: it opens the service's own
// bbolt file, installs the embedded default content into an empty store and
// registers aim.model.v1.ModelCatalogService on a platform server.
package model

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/platform/server"
	pstore "github.com/aim-platform/aim/platform/store"
	mserver "github.com/aim-platform/aim/services/model/internal/server"
	"github.com/aim-platform/aim/services/model/internal/store"
)

// ServiceName is the gRPC service name, also its health-check name.
const ServiceName = "aim.model.v1.ModelCatalogService"

// StoreFile is the name of the service's bbolt file in the data directory.
const StoreFile = "model.db"

// VerifyStore checks a store file of the service, such as a backup, in
// full without opening it for writing: bbolt's consistency check, the
// schema record, and every record decoded with the service's types. It
// waits up to lockTimeout for a process that holds the file.
func VerifyStore(path string, lockTimeout time.Duration) (pstore.Info, error) {
	return pstore.Verify(path, store.Schema, lockTimeout)
}

// Config configures the service.
type Config struct {
	// DataDir holds StoreFile.
	DataDir string
	// LockTimeout bounds the wait for the store's file lock.
	LockTimeout time.Duration
}

// Service is an open model catalog.
type Service struct {
	store  *store.Store
	server *mserver.Server
}

// Open opens the store and installs the default content it lacks.
func Open(cfg Config, logger *slog.Logger) (*Service, error) {
	st, err := store.Open(pstore.ConfigIn(cfg.DataDir, StoreFile, cfg.LockTimeout))
	if err != nil {
		return nil, fmt.Errorf("model store: %w", err)
	}
	if err := installDefaults(st, logger); err != nil {
		_ = st.Close()
		return nil, fmt.Errorf("model store: install defaults: %w", err)
	}
	return &Service{store: st, server: mserver.New(st)}, nil
}

// installDefaults installs the embedded sample model unless it is there.
func installDefaults(st *store.Store, logger *slog.Logger) error {
	n, err := st.InstallDefaults(time.Now())
	if n > 0 {
		logger.Info("installed the default model version")
	}
	return err
}

// Register adds the service to srv and marks it serving.
func (s *Service) Register(srv *server.Server) {
	srv.Register(&modelv1.ModelCatalogService_ServiceDesc, s.server)
	srv.SetServing(ServiceName)
}

// DB returns the service's store, for backups.
func (s *Service) DB() *pstore.DB { return s.store.DB() }

// Close releases the search indexes and closes the store.
func (s *Service) Close() error { return errors.Join(s.server.Close(), s.store.Close()) }
