import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import path from 'node:path';
import fp from 'fastify-plugin';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

const require = createRequire(import.meta.url);
// The package exports only its script, so find dist/ from it (dist/js/dkfds.min.js).
const DKFDS_DIST = path.resolve(path.dirname(require.resolve('dkfds')), '..');
const ASSETS = fileURLToPath(new URL('../../views/assets/', import.meta.url));

/** DKFDS's theme CSS, fonts, icons and JavaScript, and our own small stylesheet and script. */
export default fp(
  async function staticPlugin(app: FastifyInstance) {
    const maxAge = app.config.production ? '1d' : 0;
    await app.register(fastifyStatic, { root: DKFDS_DIST, prefix: '/dkfds/', decorateReply: false, maxAge, index: false });
    await app.register(fastifyStatic, { root: ASSETS, prefix: '/assets/', decorateReply: false, maxAge, index: false });
  },
  { name: 'static', dependencies: ['config'] },
);
