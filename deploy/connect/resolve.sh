#!/usr/bin/env bash
# Resolves the Kafka Connect worker and the Debezium JDBC sink connector from Maven Central:
#   deploy/connect/target/worker/*.jar                          the worker's classpath
#   deploy/connect/target/plugins/debezium-connector-jdbc/*.jar  the connector, under plugin.path
# Idempotent: does nothing when both are there. bench/connect.py runs it when they are missing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
worker="$here/target/worker"
plugin="$here/target/plugins/debezium-connector-jdbc"
if compgen -G "$worker/connect-runtime-*.jar" >/dev/null && compgen -G "$plugin/debezium-connector-jdbc-*.jar" >/dev/null; then
  exit 0
fi
echo "resolving Kafka Connect and the Debezium JDBC sink from Maven Central (mvn dependency:copy-dependencies)…"
rm -rf "$worker.partial" "$plugin.partial"
mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies \
  -DincludeScope=runtime -DoutputDirectory="$worker.partial"
mvn -q -B -f "$here/plugin/pom.xml" dependency:copy-dependencies \
  -DincludeScope=runtime -DexcludeGroupIds=org.apache.kafka,org.slf4j \
  -DexcludeArtifactIds=jackson-core,jackson-databind,jackson-annotations -DoutputDirectory="$plugin.partial"
rm -rf "$worker" "$plugin"
mkdir -p "$(dirname "$plugin")"
mv "$worker.partial" "$worker"
mv "$plugin.partial" "$plugin"
echo "worker: $(ls "$worker" | wc -l) jars; plugin: $(ls "$plugin" | wc -l) jars"
