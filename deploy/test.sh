#!/usr/bin/env bash
# Every test (unit, integration, faults) against the real Kafka and PostgreSQL of the local stack.
source "$(dirname "$0")/env.sh"
set +e
pytest "$@"
status=$?
set -e
if [ "$status" = 5 ]; then
  echo "pytest collected no tests: that is a failure" >&2
  exit 1
fi
exit "$status"
