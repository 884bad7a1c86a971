package server

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"

	"github.com/aim-platform/aim/platform/auth"
	"github.com/aim-platform/aim/platform/errs"
	"github.com/aim-platform/aim/platform/store"
)

// BackupHandler serves GET /backup/{service}: an online, consistent copy of
// that service's bbolt file, streamed from one read transaction while the
// service keeps serving. The caller needs the admin role; the copy holds
// every tenant's data.
func BackupHandler(a *auth.Authenticator, logger *slog.Logger, stores map[string]*store.DB) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /backup/{service}", func(w http.ResponseWriter, r *http.Request) {
		id, err := a.AuthenticateHTTP(r)
		if err == nil {
			err = auth.Require(auth.WithIdentity(r.Context(), id), auth.RoleAdmin)
		}
		if err != nil {
			writeHTTPError(w, err)
			return
		}
		name := r.PathValue("service")
		db, ok := stores[name]
		if !ok {
			writeHTTPError(w, errs.NotFoundError("Store", name))
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name+".db"))
		start := time.Now()
		n, err := db.Backup(w)
		if err != nil {
			// Headers are gone; the client sees a short body and an aborted
			// connection, and the log says why.
			logger.ErrorContext(r.Context(), "backup failed", slog.String("store", name), slog.String("error", err.Error()))
			panic(http.ErrAbortHandler)
		}
		logger.InfoContext(r.Context(), "backup", slog.String("store", name), slog.Int64("bytes", n),
			slog.String("subject", id.Subject), slog.Duration("duration", time.Since(start)))
	})
	return mux
}

// writeHTTPError writes err as google.rpc.Status JSON with its HTTP status.
func writeHTTPError(w http.ResponseWriter, err error) {
	st, _ := errs.ToStatus(err)
	errs.WriteHTTP(w, runtime.HTTPStatusFromCode(st.Code()), st)
}
