import { ApiError } from './api-error.js';

export class ForbiddenError extends ApiError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(403, 'forbidden', message, details);
  }
}
