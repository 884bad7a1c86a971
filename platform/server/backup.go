package server

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"

	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/platform/errs"
	"github.com/aim-platform/aim/platform/store"
)

// DefaultBackupStallTimeout is how long a backup download may go without
// the client accepting a byte before the server cuts it off.
const DefaultBackupStallTimeout = 30 * time.Second

// backupChunk is how much of the snapshot goes out per write; each write
// gets the stall timeout afresh, so a slow but steady client is served.
const backupChunk = 256 << 10

// BackupConfig is what BackupHandler needs.
type BackupConfig struct {
	// Operators verifies the operator tokens the endpoint requires
	// (ADR 0005). Required: a backup holds every tenant's data.
	Operators *auth.OperatorVerifier
	// Tenants, when set, tells a caller who presents a good tenant
	// credential (a tenant admin's token, an API key) that it needs an
	// operator credential: 403 instead of 401. It never grants access.
	Tenants *auth.Authenticator
	// Logger records each backup and each failure.
	Logger *slog.Logger
	// Stores are the stores to serve, by service name. Required.
	Stores map[string]*store.DB
	// StallTimeout cuts off a client that accepts no bytes for this long;
	// zero means DefaultBackupStallTimeout.
	StallTimeout time.Duration
}

// BackupHandler serves GET /backup/{service}: an online, consistent copy of
// that service's bbolt file. Only an operator may fetch it; the copy holds
// every tenant's data, so no tenant credential, a tenant admin's included,
// passes (redteam H1).
//
// The copy is taken with store.DB.Snapshot into an unlinked local file and
// the read transaction ends before the first byte goes out, so a client
// reading slowly, or not at all, never holds the store (redteam H2). A
// client that accepts nothing for StallTimeout is cut off, which frees the
// snapshot. One backup of a store runs at a time; another one asked for
// meanwhile gets 429 and may retry.
func BackupHandler(cfg BackupConfig) (http.Handler, error) {
	if cfg.Operators == nil || cfg.Stores == nil {
		return nil, errors.New("server: BackupConfig needs Operators and Stores")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.StallTimeout <= 0 {
		cfg.StallTimeout = DefaultBackupStallTimeout
	}
	running := map[string]chan struct{}{}
	for name := range cfg.Stores {
		running[name] = make(chan struct{}, 1)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /backup/{service}", func(w http.ResponseWriter, r *http.Request) {
		op, err := cfg.authenticate(r)
		if err != nil {
			writeHTTPError(w, err)
			return
		}
		name := r.PathValue("service")
		db, ok := cfg.Stores[name]
		if !ok {
			writeHTTPError(w, errs.NotFoundError("Store", name))
			return
		}
		select {
		case running[name] <- struct{}{}:
			defer func() { <-running[name] }()
		default:
			writeHTTPError(w, errs.New(errs.ResourceExhausted, "BACKUP_RUNNING",
				"a backup of %s is already running; retry when it has finished", name))
			return
		}
		cfg.serve(w, r, op, name, db)
	})
	return mux, nil
}

// authenticate admits operators only. A request that carries a good tenant
// credential instead is told so with PERMISSION_DENIED.
func (cfg BackupConfig) authenticate(r *http.Request) (auth.Operator, error) {
	op, err := cfg.Operators.AuthenticateHTTP(r)
	if err == nil {
		return op, nil
	}
	if cfg.Tenants != nil {
		if _, terr := cfg.Tenants.AuthenticateHTTP(r); terr == nil {
			return auth.Operator{}, errs.New(errs.PermissionDenied, "OPERATOR_REQUIRED",
				"backups hold every tenant's data and need an operator token; tenant credentials, admin or not, never pass")
		}
	}
	return auth.Operator{}, err
}

// serve snapshots db and streams the snapshot with a write deadline per
// chunk.
func (cfg BackupConfig) serve(w http.ResponseWriter, r *http.Request, op auth.Operator, name string, db *store.DB) {
	log := cfg.Logger.With(slog.String("store", name), slog.String("subject", op.Subject))
	rc := http.NewResponseController(w)
	// Without write deadlines a stalled client would be served forever;
	// refuse rather than lose the bound.
	if err := rc.SetWriteDeadline(time.Now().Add(cfg.StallTimeout)); err != nil {
		log.ErrorContext(r.Context(), "backup refused: the connection takes no write deadline", slog.String("error", err.Error()))
		writeHTTPError(w, err)
		return
	}
	start := time.Now()
	snap, size, err := db.Snapshot()
	if err != nil {
		log.ErrorContext(r.Context(), "backup failed", slog.String("error", err.Error()))
		_ = rc.SetWriteDeadline(time.Now().Add(cfg.StallTimeout)) // the snapshot may have taken a while
		writeHTTPError(w, err)
		return
	}
	defer snap.Close()
	snapshotted := time.Since(start)

	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name+".db"))
	buf := make([]byte, backupChunk)
	var sent int64
	for sent < size {
		n, rerr := snap.Read(buf)
		if n > 0 {
			if err := rc.SetWriteDeadline(time.Now().Add(cfg.StallTimeout)); err != nil {
				rerr = err
			} else if _, err := w.Write(buf[:n]); err != nil {
				// Headers are gone; the client sees a short body and an
				// aborted connection, and the log says why.
				log.WarnContext(r.Context(), "backup aborted: the client stopped reading or went away",
					slog.Int64("bytes", sent), slog.Int64("size", size), slog.String("error", err.Error()))
				panic(http.ErrAbortHandler)
			}
			sent += int64(n)
		}
		if rerr != nil && !(errors.Is(rerr, io.EOF) && sent == size) {
			log.ErrorContext(r.Context(), "backup failed reading its snapshot", slog.Int64("bytes", sent), slog.String("error", rerr.Error()))
			panic(http.ErrAbortHandler)
		}
	}
	log.InfoContext(r.Context(), "backup", slog.Int64("bytes", sent),
		slog.Duration("snapshot", snapshotted), slog.Duration("duration", time.Since(start)))
}

// writeHTTPError writes err as google.rpc.Status JSON with its HTTP status.
func writeHTTPError(w http.ResponseWriter, err error) {
	st, _ := errs.ToStatus(err)
	errs.WriteHTTP(w, runtime.HTTPStatusFromCode(st.Code()), st)
}
