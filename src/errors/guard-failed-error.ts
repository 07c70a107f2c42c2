import { ApiError } from './api-error.js';

export class GuardFailedError extends ApiError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(422, 'guard_failed', message, details);
  }
}
