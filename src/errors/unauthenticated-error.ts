import { ApiError } from './api-error.js';

export class UnauthenticatedError extends ApiError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(401, 'unauthenticated', message, details);
  }
}
