# Every Herald service's image, from one design: the service is a build argument. It builds one
# service alone, from the repository root (the build needs the workspace packages it depends on):
#   docker build --build-arg SERVICE=order --build-arg VERSION=0.1.0 -t herald/order:0.1.0 .
# SERVICE names a folder under services/; VERSION (its package.json version) labels the image; PORT
# is optional: unset, the service listens on its own default port. A sixth service needs nothing here.
# The same image runs the service's outbox relay: `node /app/packages/service-kit/dist/relay-main.js`.
# Node 26 is the Active LTS line (LTS since October 2026; 24 is in maintenance, 20 is end-of-life).
# The full version is pinned so a rebuild is the same image; compose:check builds a local stand-in
# with exactly this name where no image registry is reachable.
ARG SERVICE
ARG VERSION=unversioned
ARG PORT=
ARG NODE_IMAGE=node:26.12.1-bookworm-slim

# 1. Cut the monorepo down to the service and the workspaces it depends on, with a pruned lockfile;
#    `out/json` (manifests only) keeps the dependency layers cached across source changes. turbo is
#    installed in a layer of its own (network, like any install); the prune itself runs offline.
#    The development stack workspace and the development-only tools go too (prune-for-image.mjs).
#    npm's download cache is a BuildKit cache mount shared by every service's build, one at a time:
#    a package is fetched once, however many images need it.
FROM ${NODE_IMAGE} AS prune
ENV TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1 NPM_CONFIG_UPDATE_NOTIFIER=false
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    npm install --global --no-audit --no-fund --prefer-offline turbo@2.11.9
WORKDIR /repo
COPY . .
ARG SERVICE
RUN test -n "$SERVICE" -a -d "services/$SERVICE" || { echo "SERVICE must name a folder under services/" >&2; exit 1; } \
 && turbo prune "@herald/${SERVICE}-service" --docker \
 && node packages/dev-stack/compose/prune-for-image.mjs out/json out/full

# 2. Dependencies: production ones plus the compiler, turbo and types. `install`, not `ci`: the
#    lockfile still names what prune-for-image.mjs removed; versions stay the locked ones.
FROM ${NODE_IMAGE} AS install
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /repo
COPY --from=prune /repo/out/json/ ./
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    npm install --no-audit --no-fund --ignore-scripts --prefer-offline

# 3. The compiled service and its packages, gathered under /app (manifests and dist only).
FROM install AS build
ARG SERVICE
COPY --from=prune /repo/out/full/ ./
COPY tsconfig.base.json ./
COPY schemas ./schemas
RUN TURBO_TELEMETRY_DISABLED=1 npx turbo run build --filter="@herald/${SERVICE}-service..." --output-logs=errors-only \
 && mkdir /app \
 && for dir in packages/* services/*; do \
      mkdir -p "/app/$dir" && cp "$dir/package.json" "/app/$dir/" && cp -r "$dir/dist" "/app/$dir/"; \
    done

# 4. Production dependencies only: the same tree without the build tools (offline).
FROM install AS deps
RUN npm prune --omit=dev --no-audit --no-fund --ignore-scripts

# 5. Runtime: compiled output and production dependencies, as the unprivileged `node` user.
FROM ${NODE_IMAGE} AS runtime
ARG SERVICE
ARG VERSION
ARG PORT
LABEL org.opencontainers.image.title="herald-${SERVICE}" \
      org.opencontainers.image.version="${VERSION}"
ENV NODE_ENV=production PORT=${PORT} HOST=0.0.0.0
WORKDIR /app
COPY --from=deps /repo/node_modules ./node_modules
COPY --from=build /app ./
USER node
WORKDIR /app/services/${SERVICE}
# An empty PORT is no PORT: the service's config then takes its own default (package.json herald.port).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||require('./package.json').herald.port)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Node receives SIGTERM directly (exec form), so the service shuts down gracefully.
CMD ["node", "dist/main.js"]
