// Used by services/Dockerfile after `turbo prune`: removes the development stack workspace from the
// pruned trees (folder, workspace entry, and every devDependency on it), so images neither build
// nor install it and nothing only it needs (tsx, maildev, ...). Plain Node, no dependencies.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const NAME = "@herald/dev-stack";
const DIR = "packages/dev-stack";

for (const root of process.argv.slice(2)) {
  rmSync(join(root, DIR), { recursive: true, force: true });
  edit(join(root, "package.json"), (manifest) => {
    if (Array.isArray(manifest.workspaces))
      manifest.workspaces = manifest.workspaces.filter((w) => w !== DIR);
  });
  for (const group of ["packages", "services"]) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const folder of readdirSync(dir)) {
      edit(join(dir, folder, "package.json"), (manifest) => {
        for (const field of ["dependencies", "devDependencies", "optionalDependencies"]) {
          if (manifest[field]) delete manifest[field][NAME];
        }
      });
    }
  }
}

function edit(file, change) {
  if (!existsSync(file)) return;
  const manifest = JSON.parse(readFileSync(file, "utf8"));
  change(manifest);
  writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
}
