# Build: docker build -t cipher-user .
# Run:   docker run --env-file .env -p 3000:3000 cipher-user               (listener and workers)
#        docker run --env-file .env cipher-user --role worker               (workers only; see README "Roles")

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production PORT=3000
WORKDIR /app
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --chown=root:root package.json ./
# Code owned by root, process run as the unprivileged `node` user: it cannot rewrite itself.
USER node
EXPOSE 3000
# Healthy = ready: /readyz (Redis answers, Slack accepted the token, the socket is open in Socket Mode), so
# `docker compose up --wait`, depends_on and a load balancer see a process that can serve. Kubernetes ignores
# this: give it livenessProbe /healthz and readinessProbe /readyz (README "Running it").
HEALTHCHECK --interval=30s --timeout=5s --start-period=40s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT||3000}/readyz`).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node directly, not npm: SIGTERM must reach the app for a graceful stop. Arguments (`--role worker`) follow.
ENTRYPOINT ["node", "dist/src/main.js"]
CMD []
