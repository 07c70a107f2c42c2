/**
 * A JSON document as `JSON.parse` types it. Tests and benchmarks read the live service's answers without
 * declaring their types: the assertions are what check their shape (see eslint.config.js for the rules this
 * relaxes in test/ and bench/).
 */
export type Json = ReturnType<typeof JSON.parse>;
