import { ApiError } from './api-error.js';

export class UnavailableError extends ApiError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(503, 'unavailable', message, details);
  }
}
