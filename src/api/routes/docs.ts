import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import express, { type Router } from 'express';
import { route, routerOf } from '../route.js';
import { JSON_TYPE } from '../route-docs.js';

/** Swagger UI's prebuilt files, installed with the package: the docs page needs no internet. */
const SWAGGER_UI_DIR = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
/** Where the docs page's assets are served. */
export const DOCS_ASSETS_PATH = '/docs/assets';
/** The only files of swagger-ui-dist the page uses (its index.html and initializer point at the petstore). */
const ASSETS = new Set(['/swagger-ui.css', '/swagger-ui-bundle.js', '/favicon-32x32.png', '/favicon-16x16.png']);

// `validatorUrl: null`: Swagger UI would otherwise send the document to validator.swagger.io.
const INIT_SCRIPT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
});`;

const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Order pipeline API</title>
  <link rel="stylesheet" href="${DOCS_ASSETS_PATH}/swagger-ui.css">
  <link rel="icon" type="image/png" href="${DOCS_ASSETS_PATH}/favicon-32x32.png" sizes="32x32">
  <link rel="icon" type="image/png" href="${DOCS_ASSETS_PATH}/favicon-16x16.png" sizes="16x16">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${DOCS_ASSETS_PATH}/swagger-ui-bundle.js"></script>
  <script>${INIT_SCRIPT}</script>
</body>
</html>
`;

/** Scripts only from this server (plus the one inline initializer, by hash); Swagger UI needs inline styles. */
const DOCS_CSP = [
  "default-src 'none'",
  `script-src 'self' 'sha256-${createHash('sha256').update(INIT_SCRIPT).digest('base64')}'`,
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const docsRoute = route<{ document: string }>();

/** `GET /openapi.json` (generated from the route declarations) and `GET /docs` (Swagger UI); no key needed. */
export const DOCS_ROUTES = [
  docsRoute({
    method: 'get',
    path: '/openapi.json',
    operationId: 'openApiDocument',
    tags: ['Documentation'],
    summary: 'This document',
    description: 'OpenAPI 3.1, generated from the zod schemas the API validates with.',
    responses: () => ({ '200': { description: 'The OpenAPI document.', content: { [JSON_TYPE]: { schema: { type: 'object' } } } } }),
    handler:
      ({ document }) =>
      (_req, res) => {
        res.set('Cache-Control', 'no-cache').type('application/json').send(document);
      },
  }),
  docsRoute({
    method: 'get',
    path: '/docs',
    operationId: 'docs',
    tags: ['Documentation'],
    summary: 'API documentation (HTML)',
    description: 'Swagger UI over this document, served from local assets (works offline).',
    responses: () => ({ '200': { description: 'The documentation page.', content: { 'text/html': { schema: { type: 'string' } } } } }),
    handler: () => (_req, res) => {
      res.set({ 'Content-Security-Policy': DOCS_CSP, 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache' }).type('html').send(DOCS_HTML);
    },
  }),
];

/** The docs routes serving `document` (the OpenAPI document, as JSON text), and Swagger UI's assets. */
export function docsRoutes(document: string): Router {
  const router = routerOf(DOCS_ROUTES, { document });
  const assets = express.static(SWAGGER_UI_DIR, { index: false, redirect: false, maxAge: '1d' });
  router.use(DOCS_ASSETS_PATH, (req, res, next) => (ASSETS.has(req.path) ? assets(req, res, next) : next()));
  return router;
}
