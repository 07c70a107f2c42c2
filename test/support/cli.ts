import { runCli } from '../../src/cli/run-cli.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `npm run --silent cli -- …` as an operator runs it, but in this process (src/cli/run-cli.ts): the same commands,
 * output and exit status without starting Node and tsx per call. `env` is laid over this process's environment,
 * as a shell's `VAR=… npm run cli` would; test/integration/cli-bin.test.ts spawns the real bin once.
 */
export async function cli(args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: { ...process.env, ...env },
  });
  return { code, stdout, stderr };
}
