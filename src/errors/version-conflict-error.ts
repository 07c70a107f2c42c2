import { ApiError } from './api-error.js';

export class VersionConflictError extends ApiError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(409, 'version_conflict', message, details);
  }
}
