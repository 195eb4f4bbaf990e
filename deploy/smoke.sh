#!/usr/bin/env bash
# Smoke test of the container deployment: build the image, start compose.yaml with throw-away
# secrets and a self-signed certificate, and check what an operator would check.
#   deploy/smoke.sh            (needs a Docker engine with the compose plugin, and openssl)
# It leaves nothing behind: `docker compose down -v` runs on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! docker info > /dev/null 2>&1; then
    echo "smoke: no Docker engine reachable (docker info failed)" >&2
    exit 2
fi

project="vellarys-smoke-$$"
workdir="$(mktemp -d)"
export COMPOSE_PROJECT_NAME="$project"
cleanup() {
    docker compose down -v --remove-orphans > /dev/null 2>&1 || true
    rm -rf "$workdir"
    [ -f .env.smoke-backup ] && mv .env.smoke-backup .env || rm -f .env
}
trap cleanup EXIT
[ -f .env ] && mv .env .env.smoke-backup

secret() { python3 -c 'import secrets; print(secrets.token_urlsafe(32))'; }
{
    cat .env.example
    echo "POSTGRES_PASSWORD=$(secret)"
    echo "OWNER_DB_PASSWORD=$(secret)"
    echo "RUNTIME_DB_PASSWORD=$(secret)"
    echo "VELLARYS_SECRET_KEY=$(secret)$(secret)"
    echo "VELLARYS_PUBLIC_URL=https://localhost"
} > .env

mkdir -p deploy/certs
if [ ! -f deploy/certs/fullchain.pem ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
        -addext subjectAltName=DNS:localhost \
        -keyout deploy/certs/privkey.pem -out deploy/certs/fullchain.pem 2> /dev/null
fi

echo "smoke: building the image"
docker compose build --quiet
image_user="$(docker run --rm --entrypoint id vellarys:latest -u)"
[ "$image_user" != "0" ] || { echo "smoke: the image runs as root" >&2; exit 1; }

echo "smoke: starting db, setup (bootstrap + migrate), 2 api, 2 workers, proxy"
docker compose up -d --wait --wait-timeout 180

echo "smoke: health through the TLS proxy"
curl -fsS --cacert deploy/certs/fullchain.pem https://localhost/health | tee "$workdir/health.json"
grep -q '"status":"ok"' "$workdir/health.json"
[ "$(docker compose ps --status running --quiet api | wc -l)" -eq 2 ]
[ "$(docker compose ps --status running --quiet worker | wc -l)" -eq 2 ]

echo "smoke: no demo in production"
status="$(curl -s -o /dev/null -w '%{http_code}' --cacert deploy/certs/fullchain.pem \
    https://localhost/login -c "$workdir/jar" -b "$workdir/jar")"
[ "$status" = "200" ]
tenants="$(docker compose exec -T db psql -U postgres -d vellarys -tAc 'SELECT count(*) FROM tenants')"
[ "$tenants" = "0" ] || { echo "smoke: production has $tenants agencies at start" >&2; exit 1; }

echo "smoke: the runtime role cannot change the schema"
if docker compose exec -T api python -c "
import os, psycopg
psycopg.connect(os.environ['VELLARYS_DATABASE_URL']).execute('CREATE TABLE intruder (id int)')
" 2> /dev/null; then
    echo "smoke: the runtime role could create a table" >&2; exit 1
fi

echo "smoke: vellarys doctor"
docker compose exec -T api vellarys doctor | tee "$workdir/doctor.txt"; [ "${PIPESTATUS[0]}" -eq 0 ]

echo "smoke: a database restart is ridden out"
docker compose restart db
for _ in $(seq 60); do
    curl -fsS --cacert deploy/certs/fullchain.pem https://localhost/health > /dev/null 2>&1 && break
    sleep 2
done
curl -fsS --cacert deploy/certs/fullchain.pem https://localhost/health > /dev/null

echo "smoke: ok"
