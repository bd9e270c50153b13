/** The five Herald services; each owns exactly one database reachable only by its own role. */
export const SERVICE_NAMES = ["order", "inventory", "payment", "email", "analytics"] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export interface DatabaseLogin {
  readonly database: string;
  readonly role: string;
  /** Development default only; deployments inject their own secret. */
  readonly password: string;
}

export function databaseLogin(owner: ServiceName | "registry"): DatabaseLogin {
  const name = `herald_${owner}`;
  return { database: name, role: name, password: `${name}_dev` };
}

export function databaseUrl(login: DatabaseLogin, host: string, port: number): string {
  return `postgres://${login.role}:${login.password}@${host}:${port}/${login.database}`;
}

/** `order` → `ORDER_DATABASE_URL`, the variable tests and `stack:up` use per service. */
export function databaseUrlVariable(service: ServiceName): string {
  return `${service.toUpperCase()}_DATABASE_URL`;
}
