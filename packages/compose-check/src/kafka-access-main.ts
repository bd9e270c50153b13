import { writeFileSync } from "node:fs";
import { relative } from "node:path";
import { repoRoot } from "@herald/dev-stack/compose";
import { KAFKA_ACCESS_FILE, renderKafkaAccess } from "./kafka-access.js";

// `npm run kafka-access -w @herald/compose-check`: rewrites compose's Kafka access file from the contract.
writeFileSync(KAFKA_ACCESS_FILE, renderKafkaAccess());
console.log(`wrote ${relative(repoRoot, KAFKA_ACCESS_FILE)}`);
