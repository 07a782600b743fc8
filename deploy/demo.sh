#!/usr/bin/env bash
# The whole demo on a fresh machine: venv, install, Kafka, PostgreSQL, schema, topics,
# the seed article's events published and projected, the timeline printed, and the web page
# served (projector, relay and API left running in the background; running it again starts
# only what is not running).
source "$(dirname "$0")/env.sh"
timeline migrate
timeline topics create
timeline seed
timeline project --until-caught-up
COLUMNS=${COLUMNS:-200} timeline show timeline

# the web page: the projector and the relay keep the views and the change feed current, the API
# serves /ui/ with a read session opened by the server's own UI key (no key reaches the browser)
mkdir -p .stack/logs
url="http://${TIMELINE_API_HOST:-127.0.0.1}:${TIMELINE_API_PORT:-8080}"
answers() { python -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" "$1" >/dev/null 2>&1; }
running() {  # the process of .stack/logs/$1.pid is still that `timeline $1`
  local pid
  pid=$(cat ".stack/logs/$1.pid" 2>/dev/null) || return 1
  { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -q "timeline $1 *$"
}
for command in project relay serve; do
  if running "$command" || { [ "$command" = serve ] && answers "$url/health/live"; }; then
    echo "== timeline $command is already running"
  else
    echo "== starting timeline $command (log: .stack/logs/$command.log)"
    TIMELINE_UI_READ_KEY="${TIMELINE_UI_READ_KEY:-local-reader}" nohup timeline "$command" >".stack/logs/$command.log" 2>&1 &
    echo $! >".stack/logs/$command.pid"
  fi
done
for _ in $(seq 60); do
  answers "$url/health/ready" && break
  sleep 1
done
answers "$url/ui/" || echo "warning: $url/ui/ does not answer yet: see .stack/logs/serve.log" >&2
echo "open $url/ui/"
