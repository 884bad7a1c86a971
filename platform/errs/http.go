package errs

import (
	"net/http"

	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
)

// WriteHTTP writes st as the JSON google.rpc.Status body of an HTTP
// response with the given status code: the error body of every REST and
// admin endpoint. Should st not encode, the body is a generic INTERNAL
// status with code 500 instead.
func WriteHTTP(w http.ResponseWriter, httpStatus int, st *status.Status) {
	b, err := protojson.Marshal(st.Proto())
	if err != nil {
		b = []byte(`{"code":13,"message":"internal error"}`)
		httpStatus = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(httpStatus)
	_, _ = w.Write(b)
}
