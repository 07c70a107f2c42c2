import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { machineVersions } from '../../machines/registry.js';
import { createProjectBody } from '../../src/api/schemas.js';
import { HttpClient } from '../support/http-client.js';
import { startTestService, type TestService } from '../support/test-service.js';

describe('OpenAPI document and docs page', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(async () => svc?.stop());

  it('documents every route of API.md, generated from the schemas the API validates with', async () => {
    expect((await new HttpClient(svc.url, null).get('/openapi.json')).status).toBe(401);
    const res = await (await svc.clientWith(['read'])).get('/openapi.json');
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

  it('serves a self-contained docs page that renders the document', async () => {
    const res = await fetch(`${svc.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    expect(html).toContain("fetch('/openapi.json'");
    // No CDN: the closed network could not load it, and the page must not leak tokens to third parties.
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href="http/);
  });
});
