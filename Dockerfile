# syntax=docker/dockerfile:1
# The gateway image: a builder stage installs the package and exactly the locked dependencies
# (uv.lock) into a virtual environment; the runtime stage gets only that environment, on the same
# Python base, as a numeric non-root user.
#
#   docker build -t enforcement-gateway:dev .
#   docker run --rm -p 8000:8000 enforcement-gateway:dev serve --demo --host 0.0.0.0
#
# Both stages must use the same base: the venv's interpreter is a link to /usr/local/bin/python.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_NO_CACHE=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/venv
# uv (pinned with its hashes) in a venv of its own, used only in this stage.
COPY tools/uv.txt /tmp/uv.txt
RUN python -m venv /opt/uv \
    && /opt/uv/bin/pip install --require-hashes -r /tmp/uv.txt \
    && python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# .dockerignore lets in only pyproject.toml, uv.lock, README.md and the packages.
COPY . .
# Exactly the locked runtime dependencies (no extras), then the package itself, not editable.
# Compiled here because the runtime's root filesystem is read-only: no .pyc is written there.
RUN /opt/uv/bin/uv sync --locked --no-editable --python /usr/local/bin/python \
    && python -m compileall -q /opt/venv/lib

FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
RUN groupadd --system --gid 10001 gateway \
    && useradd --system --uid 10001 --gid 10001 --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin gateway \
    && mkdir -p /app/var \
    && chown 10001:10001 /app/var
COPY --from=builder /opt/venv /opt/venv
# var/ holds the SQLite file when DATABASE_URL is unset; on Kubernetes the root filesystem is
# read-only and var/ and /tmp are emptyDir volumes.
WORKDIR /app
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
ENTRYPOINT ["gateway"]
# Worker processes: GATEWAY_WORKERS, else one per CPU of the container's limit with REDIS_URL and
# one without (gateway/workers.py).
CMD ["serve", "--host", "0.0.0.0"]
