import { defaultStackOptions } from "../config.js";
import { kafkaComponent } from "../kafka.js";
import { freePort, type PrivateComponent, startPrivateComponent } from "./private-component.js";

export { freePort };

/** A single-node Kafka of a test's own, which the test may stop and restart. */
export interface PrivateKafka extends PrivateComponent {
  readonly brokers: string[];
}

/**
 * Starts a broker as the stack provisions it (same logins), on free ports and in a state dir of its
 * own: for tests that stop or restart Kafka, or that must not be seen by the shared broker's other users.
 */
export async function startPrivateKafka(name: string): Promise<PrivateKafka> {
  const ports = { broker: await freePort(), controller: await freePort() };
  const broker = await startPrivateComponent(name, (stateDir) =>
    kafkaComponent({ ...defaultStackOptions(), stateDir }, ports),
  );
  return { ...broker, brokers: [`127.0.0.1:${ports.broker}`] };
}
