#!/usr/bin/env bash
# The whole demo on a fresh machine: venv, install, Kafka, PostgreSQL, schema, topics,
# the seed article's events published and projected, and the timeline printed.
source "$(dirname "$0")/env.sh"
timeline migrate
timeline topics create
timeline seed
timeline project --until-caught-up
COLUMNS=${COLUMNS:-200} timeline show timeline
