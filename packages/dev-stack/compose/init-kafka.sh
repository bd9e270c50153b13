#!/usr/bin/env bash
# Compose's one-shot Kafka provisioning, run in the Kafka image as the admin (PLAIN, which the broker
# knows statically, on the internal listener) from $ACCESS_FILE, which is generated from the event
# contract (see the file's header):
#   user <name>   a SCRAM-SHA-512 credential, password from <NAME>_KAFKA_PASSWORD (herald-order →
#                 HERALD_ORDER_KAFKA_PASSWORD; no ',' or ']' in it)
#   topic <name>  created with $TOPIC_PARTITIONS partitions and retention $TOPIC_RETENTION_MS (an
#                 existing topic is left as it is)
#   acl <args>    kafka-acls.sh --add <args>
# Idempotent, so it runs on every `up`; a changed password replaces the old one. Each line is its own
# short-lived JVM: they run a few at a time.
set -euo pipefail
: "${BOOTSTRAP_SERVER:?}" "${ACCESS_FILE:?}" "${TOPIC_PARTITIONS:?}" "${TOPIC_RETENTION_MS:?}"
: "${HERALD_ADMIN_KAFKA_PASSWORD:?}"
bin=${KAFKA_BIN:-/opt/kafka/bin}
work=$(mktemp -d)
login="$work/admin.properties"
printf '%s\n' \
  "security.protocol=SASL_PLAINTEXT" \
  "sasl.mechanism=PLAIN" \
  "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"herald-admin\" password=\"$HERALD_ADMIN_KAFKA_PASSWORD\";" \
  >"$login"
admin=(--bootstrap-server "$BOOTSTRAP_SERVER" --command-config "$login")

# One step in the background; its output is shown only when it fails.
step() {
  local name=$1
  shift
  (
    if ! output=$("$@" 2>&1); then
      printf 'kafka-init: %s failed:\n%s\n' "$name" "$output" >&2
      touch "$work/failed"
    fi
  ) &
  while [ "$(jobs -rp | wc -l)" -ge "${INIT_PARALLELISM:-3}" ]; do wait -n || true; done
}

counts=(0 0 0)
while read -r kind rest; do
  case "$kind" in
  "" | "#"*) ;;
  user)
    variable="$(tr 'a-z-' 'A-Z_' <<<"$rest")_KAFKA_PASSWORD"
    password="${!variable:-}"
    [ -n "$password" ] || { echo "kafka-init: $variable is not set (the password of $rest)" >&2; exit 1; }
    step "credential of $rest" "$bin/kafka-configs.sh" "${admin[@]}" --alter --entity-type users \
      --entity-name "$rest" --add-config "SCRAM-SHA-512=[password=$password]"
    counts[0]=$((counts[0] + 1))
    ;;
  topic)
    step "topic $rest" "$bin/kafka-topics.sh" "${admin[@]}" --create --if-not-exists --topic "$rest" \
      --partitions "$TOPIC_PARTITIONS" --replication-factor 1 --config "retention.ms=$TOPIC_RETENTION_MS"
    counts[1]=$((counts[1] + 1))
    ;;
  acl)
    read -ra args <<<"$rest"
    step "acl ${args[*]}" "$bin/kafka-acls.sh" "${admin[@]}" --add "${args[@]}"
    counts[2]=$((counts[2] + 1))
    ;;
  *) echo "kafka-init: unknown line '$kind $rest' in $ACCESS_FILE" >&2; exit 1 ;;
  esac
done <"$ACCESS_FILE"
wait
if [ -e "$work/failed" ]; then exit 1; fi
echo "kafka-init: ${counts[0]} SCRAM credentials, ${counts[1]} topics, ${counts[2]} ACL commands applied"
