# syntax=docker/dockerfile:1
# reroute's server image: slim Python, a virtualenv built in a first stage, a non-root user,
# health through gRPC (`reroute health`). docs/deploy.md walks through it.
#   docker build --build-arg GIT_COMMIT=$(git rev-parse HEAD) -t reroute .
ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY routing routing
COPY customs customs
COPY hubs hubs
COPY protos protos
RUN python -m venv /opt/reroute && /opt/reroute/bin/pip install --no-compile .

FROM python:${PYTHON_VERSION}-slim-bookworm
ARG GIT_COMMIT=unknown
# REROUTE_<FLAG> sets any `reroute serve` flag (flag > variable > default)
ENV PATH=/opt/reroute/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    REROUTE_DATA_DIR=/var/lib/reroute \
    REROUTE_GIT_COMMIT=${GIT_COMMIT} \
    REROUTE_HOST=0.0.0.0 \
    REROUTE_PORT=50051
RUN groupadd --system --gid 10001 reroute \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/reroute --create-home \
       --shell /usr/sbin/nologin reroute
COPY --from=build /opt/reroute /opt/reroute
USER 10001:10001
WORKDIR /var/lib/reroute
VOLUME ["/var/lib/reroute"]
EXPOSE 50051 9464
# the server's own grpc.health.v1 answer, asked on loopback (the server listens on all
# addresses); a TLS server needs `--tls-ca` here (docs/deploy.md)
HEALTHCHECK --interval=15s --timeout=10s --start-period=90s --retries=3 \
    CMD reroute health --server "127.0.0.1:${REROUTE_PORT}" --timeout 5 >/dev/null || exit 1
STOPSIGNAL SIGTERM
ENTRYPOINT ["reroute", "serve"]
