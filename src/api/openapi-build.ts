import { z } from 'zod';
import { ERROR_EXAMPLES, type ErrorCode } from './openapi-examples.js';

// The small vocabulary the OpenAPI document is written in: an operation is one `op({...})` call, and what every
// operation of a kind answers (401/403/429 behind a token, 400/413/415 for a body, 422 for a reused
// Idempotency-Key, 404 for an unknown id) is added here, so a route added to openapi-paths.ts lists its real
// error responses without repeating them.

export type JsonSchema = Record<string, unknown>;
export type Operation = Record<string, unknown>;

/** A zod schema as JSON Schema 2020-12 (what OpenAPI 3.1 embeds), as a client must send or will receive it. */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

export const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

export interface Param {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: JsonSchema;
  description?: string;
  example?: unknown;
}

export const pathParam = (name: string, example: string): Param => ({
  name,
  in: 'path',
  required: true,
  schema: { type: 'string' },
  example,
});

export const queryParam = (name: string, schema: JsonSchema, description?: string): Param => ({
  name,
  in: 'query',
  required: false,
  schema,
  ...(description && { description }),
});

export const limitParam = (max: number): Param =>
  queryParam(
    'limit',
    { type: 'integer', minimum: 1, maximum: max },
    `a whole number 1 … ${max} in decimal digits (no sign, hex or exponent); anything else is a 400`,
  );

export const cursorParam = queryParam(
  'cursor',
  { type: 'string' },
  'the nextCursor of the previous page of the same list; anything else is a 400',
);

export const pageOf = (item: JsonSchema): JsonSchema => ({
  type: 'object',
  properties: { items: { type: 'array', items: item }, nextCursor: { type: ['string', 'null'] } },
});

const idempotencyKey: Param = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  schema: { type: 'string', maxLength: 200 },
  description: 'same key and same body (compared as parsed JSON) → the stored reply again, for 24 h by default',
};

const ifMatch: Param = {
  name: 'If-Match',
  in: 'header',
  required: false,
  schema: { type: 'string' },
  description: 'the seq the instance must be at, e.g. "3"; otherwise 409 version_conflict and nothing changes',
  example: '"3"',
};

const replayedHeader = {
  'Idempotent-Replayed': {
    description: 'true when this is the stored reply to an earlier request with the same Idempotency-Key and body',
    schema: { const: 'true' },
  },
};

const retryAfterHeader = {
  'Retry-After': { description: 'seconds to wait before trying again', schema: { type: 'integer' } },
};

/** A success reply: its schema and one example taken from a real answer of the service. */
export interface Reply {
  description: string;
  schema?: JsonSchema;
  example?: unknown;
  contentType?: string;
  /** The same reply in another media type, chosen by the request (e.g. text/csv by Accept or ?format=). */
  alternative?: { contentType: string; schema: JsonSchema; example?: unknown };
}

export interface OpSpec {
  summary: string;
  /** The scopes of which a token needs one ("read", "admin or read"); absent for an open operation. */
  scopes?: string;
  /** More prose after the scope line. */
  notes?: string;
  params?: Param[];
  /** Whether a path id that names nothing answers 404 (default: whenever there is a path parameter). */
  notFound?: boolean;
  /** The operation takes limit and cursor (a malformed one is a 400). */
  paged?: { max: number };
  idempotent?: boolean;
  ifMatch?: boolean;
  /** The request body; JSON unless `contentType` names another type (then no 415 for a JSON one). */
  body?: { schema: JsonSchema; example: unknown; contentType?: string };
  replies: Record<number, Reply>;
  /** Error codes beyond those every operation of its kind answers. */
  errors?: ErrorCode[];
}

function content(schema: JsonSchema | undefined, example: unknown, type = 'application/json') {
  if (!schema) return {};
  return { content: { [type]: { schema, ...(example !== undefined && { example }) } } };
}

function mergeContent(first: { content?: object }, second: { content?: object } | undefined) {
  return second?.content ? { content: { ...first.content, ...second.content } } : first;
}

/** The error codes an operation can answer, from its shape and its own additions. */
function errorCodes(spec: OpSpec): ErrorCode[] {
  const codes = new Set<ErrorCode>(spec.errors);
  const params = spec.params ?? [];
  const hasPathParam = params.some((p) => p.in === 'path');
  if (spec.scopes) for (const code of ['unauthenticated', 'forbidden', 'rate_limited'] as const) codes.add(code);
  if (hasPathParam || params.some((p) => p.in === 'query') || spec.paged || spec.body) codes.add('invalid_request');
  if (spec.notFound ?? hasPathParam) codes.add('not_found');
  if (spec.body) codes.add('payload_too_large');
  if (spec.body && !spec.body.contentType) codes.add('unsupported_media_type');
  if (spec.idempotent) codes.add('idempotency_key_reuse');
  return [...codes];
}

/** One response per status, with one named example per code it can carry (docs/api.md's error body). */
function errorResponses(codes: ErrorCode[]): Record<string, unknown> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const { status } = ERROR_EXAMPLES[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<string, unknown> = {};
  for (const [status, list] of [...byStatus.entries()].sort(([a], [b]) => a - b)) {
    const examples = Object.fromEntries(
      list.map((code) => [code, { summary: ERROR_EXAMPLES[code].when, value: ERROR_EXAMPLES[code].body }]),
    );
    responses[status] = {
      description: list.map((code) => `${code}: ${ERROR_EXAMPLES[code].when}`).join('; '),
      ...(status === 429 && { headers: retryAfterHeader }),
      content: { 'application/json': { schema: ref('Error'), examples } },
    };
  }
  return responses;
}

function successResponses(spec: OpSpec): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(spec.replies).map(([status, r]) => [
      status,
      {
        description: r.description,
        ...(spec.idempotent && status.startsWith('2') && { headers: replayedHeader }),
        ...mergeContent(
          content(r.schema, r.example, r.contentType),
          r.alternative && content(r.alternative.schema, r.alternative.example, r.alternative.contentType),
        ),
      },
    ]),
  );
}

/** An OpenAPI operation object from a compact description of it. */
export function op(spec: OpSpec): Operation {
  const parameters = [
    ...(spec.params ?? []),
    ...(spec.paged ? [limitParam(spec.paged.max), cursorParam] : []),
    ...(spec.idempotent ? [idempotencyKey] : []),
    ...(spec.ifMatch ? [ifMatch] : []),
  ];
  const description = [spec.scopes ? `Scope: ${spec.scopes}.` : 'Open: no token needed.', spec.notes]
    .filter(Boolean)
    .join(' ');
  return {
    summary: spec.summary,
    description,
    ...(!spec.scopes && { security: [] }),
    ...(parameters.length > 0 && { parameters }),
    ...(spec.body && {
      requestBody: { required: true, ...content(spec.body.schema, spec.body.example, spec.body.contentType) },
    }),
    responses: { ...successResponses(spec), ...errorResponses(errorCodes(spec)) },
  };
}
