#!/usr/bin/env bash
# kafka-run-class.sh <main class> [args]: the command-line tools on the broker's classpath plus
# kafka-tools, started for a short life (small heap, no JIT warm-up).
exec java ${KAFKA_HEAP_OPTS:--Xmx256M} -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
  ${KAFKA_LOG4J_OPTS:--Dlog4j.configuration=file:/opt/kafka/config/tools-log4j.properties} ${KAFKA_OPTS:-} \
  -cp '/opt/kafka/libs/*:/opt/kafka/tools-libs/*' "$@"
