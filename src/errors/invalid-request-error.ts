import { ApiError } from './api-error.js';

export class InvalidRequestError extends ApiError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(400, 'invalid_request', message, details);
  }
}
