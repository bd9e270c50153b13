#!/usr/bin/env bash
# Compose's one-shot topic init (runs in the Kafka image): creates each of $TOPICS with
# $TOPIC_PARTITIONS partitions and retention $TOPIC_RETENTION_MS; an existing topic is left as it is.
set -euo pipefail
: "${BOOTSTRAP_SERVER:?}" "${TOPICS:?}" "${TOPIC_PARTITIONS:?}" "${TOPIC_RETENTION_MS:?}"
for topic in $TOPICS; do
  /opt/kafka/bin/kafka-topics.sh --bootstrap-server "$BOOTSTRAP_SERVER" --create --if-not-exists \
    --topic "$topic" --partitions "$TOPIC_PARTITIONS" --replication-factor 1 \
    --config "retention.ms=$TOPIC_RETENTION_MS"
done
/opt/kafka/bin/kafka-topics.sh --bootstrap-server "$BOOTSTRAP_SERVER" --describe --topic "${TOPICS// /|}" |
  grep -E '^Topic:' || true
