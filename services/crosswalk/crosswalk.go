// Package crosswalk wires the crosswalk resolution service: it opens the
// service's own bbolt file, installs the default frameworks into an empty
// store and registers aim.crosswalk.v1.CrosswalkService on a platform server.
package crosswalk

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"google.golang.org/grpc"

	crosswalkv1 "github.com/aim-platform/aim/gen/aim/crosswalk/v1"
	"github.com/aim-platform/aim/platform/client"
	"github.com/aim-platform/aim/platform/server"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/platform/telemetry"
	cserver "github.com/aim-platform/aim/services/crosswalk/internal/server"
	"github.com/aim-platform/aim/services/crosswalk/internal/store"
)

// ServiceName is the gRPC service name, also its health-check name.
const ServiceName = "aim.crosswalk.v1.CrosswalkService"

// StoreFile is the name of the service's bbolt file in the data directory.
const StoreFile = "crosswalk.db"

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
	// ModelAddr is the gRPC address of the model catalog, which imports
	// check practices against.
	ModelAddr string
	// AppraisalAddr is the gRPC address of the appraisal service, which gap
	// analysis reads ratings from.
	AppraisalAddr string
}

// Service is an open crosswalk service.
type Service struct {
	store  *store.Store
	conns  []*grpc.ClientConn
	server *cserver.Server
}

// Open opens the store, installs the default frameworks and sample
// crosswalk it lacks, and (lazily) connects to the model and appraisal
// services.
func Open(cfg Config, logger *slog.Logger, tel *telemetry.Providers) (*Service, error) {
	if cfg.ModelAddr == "" || cfg.AppraisalAddr == "" {
		return nil, errors.New("crosswalk: the model and appraisal services' addresses are required")
	}
	st, err := store.Open(pstore.ConfigIn(cfg.DataDir, StoreFile, cfg.LockTimeout))
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
	if installed, err := cserver.InstallSample(st, time.Now()); err != nil {
		_ = st.Close()
		return nil, fmt.Errorf("crosswalk store: install the sample crosswalk: %w", err)
	} else if installed {
		logger.Info("installed the sample crosswalk")
	}
	svc := &Service{store: st}
	for _, addr := range []string{cfg.ModelAddr, cfg.AppraisalAddr} {
		conn, err := client.Dial(addr, client.Options{Telemetry: tel, ForwardCredentials: true})
		if err != nil {
			_ = svc.Close()
			return nil, err
		}
		svc.conns = append(svc.conns, conn)
	}
	svc.server, err = cserver.New(st, cserver.NewCatalog(svc.conns[0]), cserver.NewAppraisals(svc.conns[1]))
	if err != nil {
		_ = svc.Close()
		return nil, err
	}
	return svc, nil
}

// Register adds the service to srv and marks it serving.
func (s *Service) Register(srv *server.Server) {
	srv.Register(&crosswalkv1.CrosswalkService_ServiceDesc, s.server)
	srv.SetServing(ServiceName)
}

// DB returns the service's store, for backups.
func (s *Service) DB() *pstore.DB { return s.store.DB() }

// Close closes the connections and the store.
func (s *Service) Close() error {
	var errs []error
	for _, c := range s.conns {
		errs = append(errs, c.Close())
	}
	return errors.Join(append(errs, s.store.Close())...)
}
