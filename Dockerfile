# syntax=docker/dockerfile:1
#
# The aim binary, static, in a distroless image that runs as a non-root user
# and needs nothing written outside /data and /tmp, so its root filesystem
# can be read-only. Every part runs from this one image: `aim model`,
# `aim appraisal`, `aim crosswalk`, `aim gateway` (deploy/k8s), `aim serve`.
#
#   docker build -t registry.example.com/aim-platform/aim:0.1.0 .
#
# The build is of cmd/aim's own module (GOWORK=off): its go.mod replaces the
# repository's other modules with their directories and its go.sum, kept
# tidy by `make lint`, pins every dependency. So the image is built from the
# versions cmd/aim declares, whatever other modules go.work lists (their
# requirements can raise versions in workspace builds), and only the
# modules below need to be in the build context.

FROM golang:1.26.8-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOWORK=off GOTOOLCHAIN=local GOFLAGS=-mod=readonly

# Module files first: this layer and the download stay cached until a
# go.mod or go.sum changes.
COPY cmd/aim/go.mod cmd/aim/go.sum cmd/aim/
COPY gen/go.mod gen/go.sum gen/
COPY platform/go.mod platform/go.sum platform/
COPY services/model/go.mod services/model/go.sum services/model/
COPY services/appraisal/go.mod services/appraisal/go.sum services/appraisal/
COPY services/crosswalk/go.mod services/crosswalk/go.sum services/crosswalk/
COPY services/gateway/go.mod services/gateway/go.sum services/gateway/
RUN go -C cmd/aim mod download

# Then the sources (.dockerignore keeps out everything else).
COPY cmd/ cmd/
COPY gen/ gen/
COPY platform/ platform/
COPY services/ services/
RUN --mount=type=cache,target=/root/.cache/go-build \
    go -C cmd/aim build -trimpath -ldflags "-s -w" -o /out/aim . \
    && mkdir -p /out/data

# gcr.io/distroless/static: CA certificates, tzdata, /etc/passwd with the
# nonroot user (65532), no shell and no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
LABEL org.opencontainers.image.title="aim" \
      org.opencontainers.image.description="AIM Platform: model catalog, appraisals, crosswalks and the REST gateway" \
      org.opencontainers.image.source="https://github.com/aim-platform/aim"
COPY --from=build /out/aim /aim
# The stores' directory, owned by the user that runs aim. In Kubernetes a
# PersistentVolumeClaim is mounted over it (fsGroup 65532).
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV AIM_DATA_DIR=/data
VOLUME ["/data"]
# 9090 gRPC (the services), 8080 HTTP (the REST gateway), 9091 admin
# (/metrics, /healthz, /backup/{service}). aim listens on loopback unless
# told otherwise: set AIM_GRPC_ADDR=:9090, AIM_HTTP_ADDR=:8080,
# AIM_ADMIN_ADDR=:9091 as deploy/k8s does.
EXPOSE 9090 8080 9091
ENTRYPOINT ["/aim"]
