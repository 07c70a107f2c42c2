import { ApiError } from './api-error.js';

export class PayloadTooLargeError extends ApiError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(413, 'payload_too_large', message, details);
  }
}
