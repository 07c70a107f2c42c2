import { ApiError } from './api-error.js';

export class NotFoundError extends ApiError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(404, 'not_found', message, details);
  }
}
