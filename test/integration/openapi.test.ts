import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { machineVersions } from '../../machines/registry.js';
import * as ex from '../../src/api/openapi-examples.js';
import * as out from '../../src/api/openapi-schemas.js';
import { createProjectBody } from '../../src/api/schemas.js';
import { HttpClient } from '../support/http-client.js';
import { startTestService, type TestService } from '../support/test-service.js';

describe('OpenAPI document and docs page', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(async () => svc?.stop());

  it('documents every route of docs/api.md, generated from the schemas the API validates with', async () => {
    // Public: the reference describes the API and holds no data.
    const res = await new HttpClient(svc.url, null).get('/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc.openapi).toBe('3.1.0');
    const routes = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(routes).toEqual(
      expect.arrayContaining([
        'GET /healthz',
        'GET /readyz',
        'GET /metrics',
        'GET /openapi.json',
        'POST /v1/projects',
        'GET /v1/projects/{id}',
        'POST /v1/projects/{id}/events',
        'GET /v1/projects/{id}/history',
        'POST /v1/projects/{id}/milestones',
        'GET /v1/milestones',
        'GET /v1/milestones/{id}',
        'POST /v1/milestones/{id}/events',
        'GET /v1/milestones/{id}/history',
        'GET /v1/milestones/{id}/replay',
        'POST /v1/accounts/{ownerId}/deposits',
        'GET /v1/accounts/{ownerId}',
        'GET /v1/users/{id}/notifications',
        'POST /v1/users/{id}/notifications/read',
        'POST /v1/webhooks',
        'GET /v1/webhooks',
        'DELETE /v1/webhooks/{id}',
        'GET /v1/webhooks/{id}/deliveries',
        'POST /v1/webhooks/{id}/deliveries/{deliveryId}/retry',
        'GET /v1/machines',
        'GET /v1/machines/{name}',
        'GET /v1/machines/{name}/paths',
      ]),
    );
    // Request bodies are the zod schemas themselves, converted: not a second hand-written copy.
    const projectBody = doc.paths['/v1/projects'].post.requestBody.content['application/json'].schema;
    const { $schema: _s, ...expected } = z.toJSONSchema(createProjectBody, {
      io: 'input',
      unrepresentable: 'any',
    }) as Record<string, unknown>;
    expect(projectBody).toEqual(expected);
    expect(projectBody.additionalProperties).toBe(false);

    const events = doc.components.schemas.MilestoneEvent.oneOf as {
      title: string;
      properties: Record<string, unknown>;
      required: string[];
    }[];
    const clientEvents = new Set(machineVersions('milestone').flatMap((d) => Object.keys(d.payloads)));
    expect(events.map((e) => e.title).sort()).toEqual([...clientEvents].sort());
    const release = events.find((e) => e.title === 'RELEASE')!;
    expect(Object.keys(release.properties).sort()).toEqual(['actor', 'amount', 'type']);
    expect(release.required.sort()).toEqual(['actor', 'type']);
    expect(events.find((e) => e.title === 'SETTLED')).toBeUndefined();

    const webhookBody = doc.paths['/v1/webhooks'].post.requestBody.content['application/json'].schema;
    expect(webhookBody.required.sort()).toEqual(['events', 'secret', 'url']);
    expect(doc.components.schemas.Webhook.properties.secret).toBeUndefined();
    expect(Object.keys(doc.components.schemas.WebhookDeliveryBody.properties).sort()).toEqual([
      'at',
      'event',
      'from',
      'id',
      'instanceId',
      'machine',
      'seq',
      'to',
      'type',
    ]);
    expect(doc.paths['/healthz'].get.security).toEqual([]);
  });

  it('lists the real error responses of every operation, each with the error schema and an example', async () => {
    const doc = (await (await svc.clientWith(['read'])).get('/openapi.json')).body;
    type Response = { description: string; content?: Record<string, { schema: unknown; examples?: object }> };
    const statusOf = Object.fromEntries(Object.entries(ex.ERROR_EXAMPLES).map(([code, e]) => [code, e.status]));
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, Record<string, unknown>>>)) {
      for (const [method, operation] of Object.entries(ops)) {
        const label = `${method.toUpperCase()} ${path}`;
        const responses = operation.responses as Record<string, Response>;
        expect(responses.default, `${label}: no catch-all default`).toBeUndefined();
        const open = Array.isArray(operation.security) && operation.security.length === 0;
        if (!open) expect(Object.keys(responses), label).toEqual(expect.arrayContaining(['401', '403', '429']));
        if (operation.requestBody)
          expect(Object.keys(responses), label).toEqual(expect.arrayContaining(['400', '413']));
        if ((operation.parameters as { in: string }[] | undefined)?.some((p) => p.in === 'path'))
          expect(responses['400'], `${label}: a malformed id`).toBeDefined();
        for (const [status, response] of Object.entries(responses)) {
          if (Number(status) < 400) continue;
          const body = response.content!['application/json']!;
          expect(body.schema, label).toEqual({ $ref: '#/components/schemas/Error' });
          for (const [code, example] of Object.entries(body.examples as Record<string, { value: unknown }>)) {
            expect(statusOf[code], `${label} ${status} ${code}`).toBe(Number(status));
            expect(() => out.errorBody.parse(example.value), `${label} ${code}`).not.toThrow();
          }
        }
      }
    }
    const release = doc.paths['/v1/milestones/{id}/events'].post;
    expect(Object.keys(release.responses).sort()).toEqual([
      '200',
      '400',
      '401',
      '403',
      '404',
      '409',
      '413',
      '415',
      '422',
      '429',
    ]);
    expect(Object.keys(release.responses['409'].content['application/json'].examples).sort()).toEqual([
      'invalid_transition',
      'version_conflict',
    ]);
    expect(release.requestBody.content['application/json'].example).toEqual({
      type: 'RELEASE',
      actor: 'alice',
      amount: '25000',
    });
  });

  it('has examples that parse with the schemas they illustrate', () => {
    const pairs: [z.ZodType, unknown][] = [
      [out.project, ex.projectExample],
      [out.milestone, ex.milestoneExample],
      [out.milestone, ex.fundingMilestoneExample],
      [out.historyPage, ex.historyExample],
      [out.replay, ex.replayExample],
      [out.account, ex.accountExample],
      [out.depositReply, ex.depositExample],
      [out.statement, ex.statementExample],
      [out.notificationsPage, ex.notificationsExample],
      [out.stats, ex.statsExample],
      [out.clientsPage, ex.clientsExample],
      [out.readiness, ex.readinessExample],
      ...Object.values(ex.ERROR_EXAMPLES).map((e): [z.ZodType, unknown] => [out.errorBody, e.body]),
    ];
    for (const [schema, example] of pairs) expect(schema.safeParse(example).error).toBeUndefined();
    // A test that could not fail proves nothing: a money amount as a number is refused.
    expect(out.milestone.safeParse({ ...ex.milestoneExample, amount: 50000 }).success).toBe(false);
  });

  it('serves the reference page from its own copy of swagger-ui-dist, under a CSP without inline scripts', async () => {
    const res = await fetch(`${svc.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await res.text();
    // No CDN: a closed network could not load it, and a third-party script would see the tokens typed in.
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(sources.every((s) => s!.startsWith('/docs/'))).toBe(true);
    expect(html).not.toMatch(/<script>/);
    const version = (createRequire(import.meta.url)('swagger-ui-dist/package.json') as { version: string }).version;
    const bundle = await fetch(`${svc.url}/docs/vendor/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect(await bundle.text()).toContain(version);
    expect((await fetch(`${svc.url}/docs/docs.js`)).status).toBe(200);
    // Only the files the page loads: not the package's demo page, which points at a remote document.
    expect((await fetch(`${svc.url}/docs/vendor/index.html`)).status).toBe(404);
    expect((await fetch(`${svc.url}/docs/vendor/swagger-initializer.js`)).status).toBe(404);
  });
});
