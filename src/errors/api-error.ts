/**
 * An expected, client-caused outcome: carries the docs/api.md status and code. The API's error mapper is the
 * only place that turns it into a response (STYLE §6, §13).
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    /** Fields of the error body beside code and message that are not details (a refusal's `rule`, `state`). */
    readonly fields: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}
