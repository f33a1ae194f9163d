# The skypipe broker as a container image.
#   docker build -t skypipe-broker .
#   docker run -d -p 1883:1883 -v skypipe-data:/data \
#     -e SKYPIPE_BROKER_USER=me -e SKYPIPE_BROKER_PASSWORD=… skypipe-broker
# NODE_IMAGE is any image with Node 20 or later and npm under /usr/local (the official slim one by
# default); NPM_CI_FLAGS passes options such as --offline to npm.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /build
COPY package.json package-lock.json ./
ARG NPM_CI_FLAGS=
# No install scripts: the store's native addon ships prebuilt, and esbuild's binary is a package of its own.
RUN npm ci --ignore-scripts ${NPM_CI_FLAGS}
COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build && npm prune --omit=dev --ignore-scripts ${NPM_CI_FLAGS} \
  && node -e "const fs = require('fs'); fs.mkdirSync('/build/data/broker', { recursive: true }); fs.mkdirSync('/build/bin'); fs.symlinkSync('/app/dist/skypipe.mjs', '/build/bin/skypipe')"

FROM ${NODE_IMAGE}
WORKDIR /app
COPY --from=build /build/package.json ./
COPY --from=build /build/node_modules ./node_modules
COPY --from=build /build/dist ./dist
COPY --from=build /build/bin/ /usr/local/bin/
COPY --from=build --chown=10001:10001 /build/data /data
# Listens on every address; users come from /data/state/skypipe/broker-users or SKYPIPE_BROKER_USER
# and SKYPIPE_BROKER_PASSWORD, and without any the broker refuses to start (see the README).
# Two malloc arenas: with one per thread, the store's threads keep what they freed (see local-sky.ts).
ENV NODE_ENV=production \
    SKYPIPE_BROKER_LOCAL_CLIENTS=1 \
    MALLOC_ARENA_MAX=2 \
    XDG_STATE_HOME=/data/state \
    SKYPIPE_BROKER_HOST=0.0.0.0 \
    SKYPIPE_BROKER_DATA_DIR=/data/broker \
    SKYPIPE_BROKER_HTTP_PORT=8080
USER 10001:10001
VOLUME /data
# MQTT, MQTT over TLS, over WebSocket, over secure WebSocket (each on when its port variable is set), health and metrics.
EXPOSE 1883 8883 8083 8443 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.SKYPIPE_BROKER_HTTP_PORT + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/dist/skypipe.mjs", "broker"]
