import { ApiError } from './api-error.js';

/** 415: a request body not sent as `application/json` in UTF-8 (docs/api.md "Conventions (v1.1)"). */
export class UnsupportedMediaTypeError extends ApiError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(415, 'unsupported_media_type', message, details);
  }
}
