// Package appraisal wires the appraisal execution service: it opens the
// service's own bbolt file and registers aim.appraisal.v1.AppraisalService
// on a platform server.
package appraisal

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"google.golang.org/grpc"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	"github.com/aim-platform/aim/platform/client"
	"github.com/aim-platform/aim/platform/server"
	pstore "github.com/aim-platform/aim/platform/store"
	"github.com/aim-platform/aim/platform/telemetry"
	"github.com/aim-platform/aim/services/appraisal/internal/audit"
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
	// ModelAddr is the gRPC address of the model catalog service, which
	// planning reads the scope from (with the caller's credentials).
	ModelAddr string
	// AuditKeyFile is the PEM file of the Ed25519 key that signs the audit
	// trail's checkpoints (and of retired keys' public halves); empty: no
	// checkpoints are signed or checked. It must not be in the store file.
	AuditKeyFile string
	// CreateAuditKey creates AuditKeyFile with a new key when it does not
	// exist (development mode).
	CreateAuditKey bool
	// WatchIdleTimeout ends a watch stream that got no event for that
	// long; zero means DefaultWatchIdleTimeout.
	WatchIdleTimeout time.Duration
}

// DevAuditKeyFile is the audit key's file name in the data directory in
// development mode, beside the development JWT key.
const DevAuditKeyFile = "dev-audit-key.pem"

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
	var keys *audit.Keys
	if cfg.AuditKeyFile != "" {
		var err error
		if keys, err = loadAuditKey(cfg); err != nil {
			return nil, err
		}
	}
	st, err := store.Open(pstore.ConfigIn(cfg.DataDir, StoreFile, cfg.LockTimeout))
	if err != nil {
		return nil, fmt.Errorf("appraisal store: %w", err)
	}
	st.SetAuditKeys(keys)
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

// loadAuditKey reads (or, when asked, creates) the audit key, refusing the
// store file itself: a key the data file holds proves nothing about it.
func loadAuditKey(cfg Config) (*audit.Keys, error) {
	keyPath, err1 := filepath.Abs(cfg.AuditKeyFile)
	storePath, err2 := filepath.Abs(filepath.Join(cfg.DataDir, StoreFile))
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("appraisal: audit key: %w", err)
	}
	if keyPath == storePath {
		return nil, fmt.Errorf("appraisal: the audit key must not be the store file %s", storePath)
	}
	if cfg.CreateAuditKey {
		keys, _, err := audit.EnsureKey(cfg.AuditKeyFile)
		return keys, err
	}
	return audit.LoadKeys(cfg.AuditKeyFile)
}
