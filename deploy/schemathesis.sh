#!/usr/bin/env bash
# The HTTP API against its own OpenAPI document: schemathesis with every check, every operation
# (POST /events and /events/batch included), on a seeded database and a running `timeline serve`.
# Assumes the local stack is up (deploy/test.sh leaves it so; `source deploy/env.sh` starts it).
# Uses a schema and topic prefix of its own, dropped afterwards. Non-zero on any failure.
#   SCHEMATHESIS_MAX_EXAMPLES (default 40) bounds the examples per operation, SCHEMATHESIS_SEED
#   (default 1) makes the run reproducible; extra arguments go to `schemathesis run`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/.venv/bin:$PATH"

TAG="st$(date +%s)$$"
export TIMELINE_DB_SCHEMA="$TAG" TIMELINE_TOPIC_PREFIX="$TAG" TIMELINE_CONSUMER_GROUP="$TAG-projector"
KEY="schemathesis-$RANDOM$RANDOM"
export TIMELINE_API_KEYS="$KEY:read+publish"
PORT="$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
WORK="$(mktemp -d)"
SERVER=""

cleanup() {
  if [ -n "$SERVER" ]; then
    kill "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
  fi
  python - <<'EOF' || echo "warning: could not drop the schema and topics of this run" >&2
import asyncio
import asyncpg
from aiokafka.admin import AIOKafkaAdminClient
from timeline.bus.topics import all_topics
from timeline.config import Settings

async def drop(s: Settings) -> None:
    con = await asyncpg.connect(s.database_url)
    try:
        for schema in (s.db_schema, f"{s.db_schema}_reporting"):
            await con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await con.close()
    admin = AIOKafkaAdminClient(bootstrap_servers=s.kafka_bootstrap)
    await admin.start()
    try:
        await admin.delete_topics([t.name for t in all_topics(s)])
    finally:
        await admin.close()

asyncio.run(drop(Settings()))
EOF
  rm -rf "$WORK"
}
trap cleanup EXIT

# Where the API refuses schema-valid input with 422 by design, the positive-data check is told so,
# operation by operation; every other check runs as it comes.
#  - A cursor is an opaque token: any string of its alphabet is schema-valid, but only the tokens
#    the API returned decode to a position; the others get the documented 422 naming `cursor`.
#  - An event has rules JSON Schema cannot state (an interval ends on or after its start, a
#    correction's changes name its target's fields, the calendar range of the store), refused
#    with the documented 422 naming each field, and limits configured at run time (413).
cat >"$WORK/schemathesis.toml" <<'TOML'
[[operations]]
include-path = ["/timeline", "/timeline.geojson", "/actors", "/actors/{name}/timeline", "/displacement", "/borders", "/places", "/claims"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "422"]

[[operations]]
include-path = ["/events", "/events/batch"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "413", "422"]
TOML

echo "== schema and topics $TAG: migrate, create topics, seed, project"
timeline migrate
timeline topics create
timeline seed
timeline project --until-caught-up

echo "== timeline serve on $BASE"
timeline serve --host 127.0.0.1 --port "$PORT" >"$WORK/server.log" 2>&1 &
SERVER=$!
for attempt in $(seq 1 150); do
  curl -fsS "$BASE/health/live" >/dev/null 2>&1 && break
  if ! kill -0 "$SERVER" 2>/dev/null || [ "$attempt" = 150 ]; then
    cat "$WORK/server.log" >&2
    echo "the API did not start" >&2
    exit 1
  fi
  sleep 0.2
done

echo "== schemathesis run --checks all"
set +e
(cd "$WORK" && schemathesis --config-file "$WORK/schemathesis.toml" run "$BASE/openapi.json" \
  --checks all \
  --header "X-API-Key: $KEY" \
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-40}" \
  --seed "${SCHEMATHESIS_SEED:-1}" \
  --phases examples,coverage,fuzzing,stateful \
  --request-timeout 30 \
  --generation-database none \
  --no-color \
  "$@")
status=$?
set -e
if [ "$status" != 0 ]; then
  echo "== schemathesis reported failures (exit $status); server log tail:" >&2
  tail -n 40 "$WORK/server.log" >&2
fi
exit "$status"
