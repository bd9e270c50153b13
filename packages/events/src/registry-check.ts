import { EVENT_SCHEMAS } from "./generated/schemas.js";
import type { EventType } from "./generated/types.js";
import type { LoadedSchema } from "./schema-loader.js";
import { subjectOf } from "./topics.js";

/** What the registry says of a schema as the next version of its event's subject. */
export interface RegistryVerdict {
  readonly path: string;
  readonly subject: string;
  readonly verdict: "accepted" | "refused" | "new subject";
}

/**
 * Asks the registry (Confluent API, without registering anything) whether each of `schemas` would
 * be accepted as the next version of its event's subject under the subject's compatibility rule.
 * Schemas of records that are not yet events of this build (no topic) are left out.
 */
export async function askRegistry(
  registryUrl: string,
  schemas: readonly LoadedSchema[],
): Promise<RegistryVerdict[]> {
  const base = registryUrl.replace(/\/+$/, "");
  const verdicts: RegistryVerdict[] = [];
  for (const schema of schemas) {
    if (schema.kind !== "event" || !Object.hasOwn(EVENT_SCHEMAS, schema.name)) continue;
    const subject = subjectOf(schema.name as EventType);
    const response = await fetch(
      `${base}/compatibility/subjects/${encodeURIComponent(subject)}/versions/latest`,
      {
        method: "POST",
        headers: { "content-type": "application/vnd.schemaregistry.v1+json" },
        body: JSON.stringify({ schemaType: "AVRO", schema: JSON.stringify(schema.schema) }),
      },
    ).catch((error: Error) => {
      throw new Error(`the registry at ${registryUrl} is unreachable: ${error.message}`, { cause: error });
    });
    if (response.status === 404) {
      verdicts.push({ path: schema.path, subject, verdict: "new subject" });
      continue;
    }
    if (!response.ok)
      throw new Error(`the registry answered ${response.status} for ${subject}: ${await response.text()}`);
    const { is_compatible } = (await response.json()) as { is_compatible?: boolean };
    verdicts.push({ path: schema.path, subject, verdict: is_compatible ? "accepted" : "refused" });
  }
  return verdicts;
}
