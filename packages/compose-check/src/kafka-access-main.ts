import { writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { renderInitDatabases } from "@herald/dev-stack";
import { repoRoot } from "@herald/dev-stack/compose";
import { KAFKA_ACCESS_FILE, renderKafkaAccess } from "./kafka-access.js";

// `npm run compose:files`: rewrites compose's Kafka access file and Postgres init script from the
// services' package.json files (after adding a service, or changing what one reads or writes).
const INIT_DATABASES_FILE = join(repoRoot, "packages", "dev-stack", "postgres", "init-databases.sql");
for (const [file, text] of [
  [KAFKA_ACCESS_FILE, renderKafkaAccess()],
  [INIT_DATABASES_FILE, renderInitDatabases()],
] as const) {
  writeFileSync(file, text);
  console.log(`wrote ${relative(repoRoot, file)}`);
}
