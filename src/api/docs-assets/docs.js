// The API reference: Swagger UI from this server's copy of the swagger-ui-dist package (no CDN), rendering the
// public /openapi.json. A token is only needed to try an operation out ("Authorize"); it stays in this tab's
// memory (not persisted), so closing the tab forgets it. Operations and schemas start collapsed: the event
// unions alone are thousands of pixels tall when expanded.
/* global SwaggerUIBundle */
window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  docExpansion: 'list',
  defaultModelsExpandDepth: 0,
  defaultModelExpandDepth: 1,
  defaultModelRendering: 'example',
  displayRequestDuration: true,
  filter: true,
  persistAuthorization: false,
  tryItOutEnabled: false,
  // The default validator badge loads an image from validator.swagger.io: a third party, refused by the CSP.
  validatorUrl: null,
});
