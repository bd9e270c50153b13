/**
 * What proving the compose file needs from the dev stack (`@herald/compose-check` uses it): a Docker
 * engine of its own, the local stand-ins for third-party images, and where the repository is.
 */
export {
  type CommandResult,
  type DockerEngine,
  docker,
  ensureDockerTools,
  lastLine,
  startDockerEngine,
} from "./compose-engine.js";
export {
  ensureStandIns,
  type ImageName,
  packageManagerNpm,
  parseImageName,
  STANDIN_DIR,
  type StandInKind,
  standInKind,
} from "./compose-images.js";
export { repoRoot } from "./config.js";
