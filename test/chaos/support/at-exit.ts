const actions = new Set<() => void>();
let installed = false;

/**
 * A last resort for a test process that ends without its afterAll (a crash, a hard timeout): private servers
 * and service processes are killed synchronously on exit so nothing keeps running on the machine.
 * Returns the function that unregisters the action once the normal cleanup has run.
 */
export function atExit(action: () => void): () => void {
  if (!installed) {
    installed = true;
    process.once('exit', () => {
      for (const a of actions) {
        try {
          a();
        } catch {
          // Best effort: the process is exiting anyway.
        }
      }
    });
  }
  actions.add(action);
  return () => actions.delete(action);
}
