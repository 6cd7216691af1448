# syntax=docker/dockerfile:1
#
# Guardrail's backup sidecar (guardrail-backup), and the push gate's binaries.
#
#   docker build -t guardrail-backup .                                  # the sidecar (default)
#   docker build --build-arg APP_UID=$(id -u) --build-arg APP_GID=$(id -g) -t guardrail-backup .
#   docker build --target hook --output type=local,dest=dist .          # dist/pre-receive{,-musl}
#
# The sidecar runs as a non-root user whose uid/gid (APP_UID/APP_GID, default 1000) must be able
# to write the app's data folder: SQLite creates the -shm file even for a reader. See
# docs/caprover.md and docs/configuration.md.

ARG NODE_IMAGE=node:22-bookworm-slim

# ---- build: bundle the daemon (TypeScript -> one dist/daemon/main.js) --------------------------
FROM ${NODE_IMAGE} AS build
# better-sqlite3 downloads a prebuilt binary when it can and compiles from source when it cannot.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY shared ./shared
COPY daemon ./daemon
RUN npm run build:daemon

# ---- hook-build / hook: the push gate, glibc and musl (Forgejo's official image is Alpine) -----
FROM build AS hook-build
COPY hooks ./hooks
RUN npm run build:hook

FROM scratch AS hook
COPY --from=hook-build /src/dist/pre-receive /src/dist/pre-receive-musl /

# ---- prod-deps: production dependencies only, native modules built for this Node --------------
FROM ${NODE_IMAGE} AS prod-deps
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- runtime: the sidecar ----------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ARG APP_UID=1000
ARG APP_GID=1000
# sqlite3: for looking inside a database or a restored backup by hand (docker exec ... sqlite3).
# openssh-client and rsync: for ssh:// targets in BACKUP_REPLICA.
# The image's `node` user holds uid 1000; it is replaced by `guardrail` with the uid/gid asked for.
RUN apt-get update \
 && apt-get install -y --no-install-recommends sqlite3 openssh-client rsync \
 && rm -rf /var/lib/apt/lists/* \
 && if id node >/dev/null 2>&1; then userdel --remove node; fi \
 && groupadd --non-unique --gid "${APP_GID}" guardrail \
 && useradd --non-unique --uid "${APP_UID}" --gid "${APP_GID}" \
      --home-dir /app --no-create-home --shell /usr/sbin/nologin guardrail
WORKDIR /app
ENV NODE_ENV=production \
    BACKUP_PORT=9090
COPY package.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /src/dist/daemon ./dist/daemon
RUN ln -s /app/dist/daemon/main.js /usr/local/bin/guardrail-backup
USER guardrail
EXPOSE 9090
# Healthy only while /health answers 200 (a verified backup younger than BACKUP_MAX_AGE and no
# failed run since), asked by the program itself: the image needs no curl.
HEALTHCHECK --interval=60s --timeout=10s --start-period=60s --retries=2 \
  CMD ["node", "dist/daemon/main.js", "healthcheck"]
# The daemon is the main process, no shell, no sleep: SIGTERM stops scheduling, lets a running
# backup finish within BACKUP_GRACE, and exits 0. Run with `--init` (compose: `init: true`) when
# drills or SSH replicas start child processes, so that an init reaps what they leave behind.
CMD ["node", "dist/daemon/main.js", "run"]
