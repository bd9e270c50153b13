import { join } from "node:path";
import { type Component, daemonComponent } from "./component.js";
import { type StackOptions, VERSIONS } from "./config.js";
import { databaseLogin } from "./services.js";
import { ensureMavenDistribution, findJava } from "./tools.js";

/** Where Confluent-API clients find Apicurio's compatibility layer. */
export function schemaRegistryUrl(host: string, port: number): string {
  return `http://${host}:${port}/apis/ccompat/v7`;
}

/**
 * Apicurio Registry from Maven Central, serving the Confluent API, storing its schemas in its own
 * Postgres database so they outlive restarts just as Kafka's data does. Global rule: BACKWARD.
 */
export function registryComponent(
  options: StackOptions,
  postgres: { host: string; port: number },
): Component {
  const url = schemaRegistryUrl(options.host, options.ports.schemaRegistry);
  const login = databaseLogin("registry");
  return daemonComponent(options, {
    name: "schema-registry",
    port: options.ports.schemaRegistry,
    readyTimeoutMs: 120_000,
    describe: () => url,
    async prepare() {
      const java = findJava(options.javaHome);
      const dist = ensureMavenDistribution(
        join(options.cacheDir, `apicurio-registry-${VERSIONS.apicurio}`),
        `io.apicurio:apicurio-registry-app:${VERSIONS.apicurio}:tar.gz:all`,
        `Apicurio Registry ${VERSIONS.apicurio}`,
      );
      return {
        command: java,
        cwd: dist,
        args: [
          "-Xms128m",
          "-Xmx512m",
          // Clients cache schemas, so the registry serves little traffic: trade peak speed for a
          // faster start, and log no line per request (writes are still audited).
          "-XX:TieredStopAtLevel=1",
          "-XX:+UseSerialGC",
          "-Dquarkus.http.access-log.enabled=false",
          `-Dquarkus.http.host=${options.host}`,
          `-Dquarkus.http.port=${options.ports.schemaRegistry}`,
          "-Dapicurio.storage.kind=sql",
          "-Dapicurio.storage.sql.kind=postgresql",
          `-Dapicurio.datasource.url=jdbc:postgresql://${postgres.host}:${postgres.port}/${login.database}`,
          `-Dapicurio.datasource.username=${login.role}`,
          `-Dapicurio.datasource.password=${login.password}`,
          "-jar",
          join(dist, `apicurio-registry-app-${VERSIONS.apicurio}-runner.jar`),
        ],
      };
    },
    async isReady() {
      const response = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(2_000) });
      return response.ok;
    },
    async afterStart() {
      const response = await fetch(`${url}/config`, {
        method: "PUT",
        headers: { "content-type": "application/vnd.schemaregistry.v1+json" },
        body: JSON.stringify({ compatibility: "BACKWARD" }),
      });
      if (!response.ok) throw new Error(`setting BACKWARD compatibility failed: HTTP ${response.status}`);
    },
  });
}
