# One image for every process of the pipeline: the API (default command) and the workers
# (`npx tsx src/workers/main.ts <queue>`, see docker-compose.yml). TypeScript runs through tsx,
# as with the npm scripts, so there is no build step.
FROM node:20-bookworm-slim

WORKDIR /app

# openssl: the Temporal cluster's certificates (`npm run cluster:certs`, the temporal-certs service
# of docker-compose.yml).
RUN apt-get update && apt-get install -y --no-install-recommends openssl && rm -rf /var/lib/apt/lists/*

# Dependencies first, so a source change does not reinstall them. tsx is a runtime dependency;
# dev dependencies (vitest, drizzle-kit, typescript) are not needed to run.
# patches/: fixes of dependencies that are not released yet, applied by `postinstall` (patch-package).
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --omit=dev && npm cache clean --force

# Only what runs: the sources and the migrations (db/*/migrations, applied at start).
# Copied explicitly rather than `COPY . .`, so a host node_modules/ or .data/ never ends up in the image.
COPY tsconfig.json ./
COPY src ./src
COPY db ./db

# DATA_DIR (default .data) must be writable by the unprivileged user.
# /srv/temporal-certs: where temporal-certs writes; a new named volume takes this folder's owner.
RUN mkdir -p .data && chown node:node .data && mkdir -p /srv/temporal-certs && chown node:node /srv/temporal-certs
USER node

EXPOSE 3000
CMD ["npx", "tsx", "src/api/main.ts"]
