# syntax=docker/dockerfile:1
# The gateway image: a builder stage installs the package into a virtual environment; the
# runtime stage gets only that environment, on the same Python base, as a numeric non-root user.
#
#   docker build -t enforcement-gateway:dev .
#   docker run --rm -p 8000:8000 enforcement-gateway:dev serve --demo --host 0.0.0.0
#
# Both stages must use the same base: the venv's interpreter is a link to /usr/local/bin/python.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# .dockerignore lets in only pyproject.toml, README.md and the packages.
COPY . .
# Compiled here because the runtime's root filesystem is read-only: no .pyc is written there.
RUN pip install . \
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
CMD ["serve", "--host", "0.0.0.0"]
