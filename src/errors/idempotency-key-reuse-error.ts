import { ApiError } from './api-error.js';

export class IdempotencyKeyReuseError extends ApiError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(422, 'idempotency_key_reuse', message, details);
  }
}
