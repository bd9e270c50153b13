// Used by the services' Dockerfile (services/Dockerfile) after `turbo prune`: trims the pruned manifests to what an image build
// needs. The development stack workspace goes (folder, workspace entry, every dependency on it), and
// development dependencies are cut to the compiler, turbo and type packages: no test runner, linter,
// tsx or browser driver is downloaded into an image build. Plain Node, no dependencies.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const DEV_STACK = "packages/dev-stack";
const BUILD_TOOLS = /^(typescript|turbo|@types\/.+)$/;

for (const root of process.argv.slice(2)) {
  rmSync(join(root, DEV_STACK), { recursive: true, force: true });
  edit(join(root, "package.json"), (manifest) => {
    if (Array.isArray(manifest.workspaces))
      manifest.workspaces = manifest.workspaces.filter((w) => w !== DEV_STACK);
  });
  for (const group of ["packages", "services"]) {
    const dir = join(root, group);
    for (const folder of existsSync(dir) ? readdirSync(dir) : [])
      edit(join(dir, folder, "package.json"), () => {});
  }
}

function edit(file, change) {
  if (!existsSync(file)) return;
  const manifest = JSON.parse(readFileSync(file, "utf8"));
  change(manifest);
  for (const field of ["dependencies", "optionalDependencies"]) {
    if (manifest[field]) delete manifest[field]["@herald/dev-stack"];
  }
  if (manifest.devDependencies) {
    for (const name of Object.keys(manifest.devDependencies)) {
      if (!BUILD_TOOLS.test(name)) delete manifest.devDependencies[name];
    }
  }
  writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
}
