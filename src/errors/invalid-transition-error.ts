import { ApiError } from './api-error.js';

export class InvalidTransitionError extends ApiError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(409, 'invalid_transition', message, details);
  }
}
