import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router } from 'express';

const ASSETS_DIR = fileURLToPath(new URL('../docs-assets/', import.meta.url));
const require = createRequire(import.meta.url);
const SWAGGER_DIR = dirname(require.resolve('swagger-ui-dist/package.json'));
// Only what the page loads: the package also ships a demo page and initializer that point at a remote petstore.
const VENDOR_FILES = new Set(['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png']);
const OWN_FILES = new Set(['docs.js', 'docs.css']);

/**
 * `GET /docs`: the API reference, Swagger UI from this server's copy of the pinned swagger-ui-dist package (no
 * CDN: the network may be closed, and a third-party script would see the tokens typed into the page). Public,
 * like /openapi.json which it renders: neither holds data. The page has no inline script, so it runs under the
 * base policy of security-headers.ts (script-src 'self').
 */
export function docsPage(): Router {
  const router = Router();
  router.get('/docs', (_req, res) => res.sendFile('index.html', { root: ASSETS_DIR }));
  router.get('/docs/vendor/:file', (req, res, next) => {
    if (!VENDOR_FILES.has(req.params.file)) return next();
    res.sendFile(req.params.file, { root: SWAGGER_DIR });
  });
  router.get('/docs/:file', (req, res, next) => {
    if (!OWN_FILES.has(req.params.file)) return next();
    res.sendFile(req.params.file, { root: ASSETS_DIR });
  });
  return router;
}
