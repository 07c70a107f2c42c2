import { ApiError } from './api-error.js';

/** An instance's history is longer than one request may replay (REPLAY_MAX_EVENTS). */
export class HistoryTooLongError extends ApiError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(422, 'history_too_long', message, details);
  }
}
