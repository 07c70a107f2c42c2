import { ApiError } from './api-error.js';

export class ConflictError extends ApiError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(409, 'conflict', message, details);
  }
}
