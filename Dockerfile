# comfyd: one static binary, no cgo, running as an unprivileged user.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/comfyd ./cmd/comfyd
RUN mkdir -p /data/models/checkpoints /data/input /data/output /data/temp /data/user

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/comfyd /usr/local/bin/comfyd
# distroless "nonroot" is uid 65532: it must own the folders it writes.
COPY --from=build --chown=65532:65532 /data /data
WORKDIR /data
# models/, input/, output/ and user/ (which holds the SQLite database) live
# under /data; mount volumes over them to keep them.
VOLUME ["/data/models", "/data/input", "/data/output", "/data/user"]
EXPOSE 8188
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/comfyd", "--listen", "0.0.0.0", "--port", "8188", "--base-directory", "/data", "--database", "/data/user/comfyd.db"]
