// How people read states (docs/api.md "Support console (v1.1)"): words, not identifiers. The console page has the
// same two rules in console.js (a browser module cannot import this file); both are tested.

/** `awaiting_response` → `Awaiting response`. */
export function stateName(key: string): string {
  const words = key.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** `disputed.negotiation` → `Disputed › Negotiation`. */
export function statePathName(path: string): string {
  return path.split('.').map(stateName).join(' › ');
}
