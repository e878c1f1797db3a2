# syntax=docker/dockerfile:1
# The portal needs no build step: Node 24 runs the TypeScript sources directly (type stripping).

FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:24-slim AS runtime
ENV NODE_ENV=production \
    TZ=Europe/Copenhagen \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY server ./server
COPY migrations ./migrations
COPY jobs ./jobs
COPY views ./views
USER node
EXPOSE 3000
# Expects DATABASE_URL, SESSION_SECRET, DATA_KEY and PUBLIC_URL (see .env.example).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "--experimental-strip-types", "--disable-warning=ExperimentalWarning", "server/main.ts"]
