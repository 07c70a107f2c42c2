// Runs one wrk script (Debian's wrk, C, far cheaper on the shared cores than a Node load generator) with its
// plan as a Lua file, and reads back the WRK_RESULT line the script's done() prints.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface WrkResult {
  requests: number;
  seconds: number;
  errors: number;
  errorSamples: string[];
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export const WRK_THREADS = 2;

/** A JS string as a Lua string literal (JSON's escapes are valid Lua for the ids and tokens we pass). */
export const lua = (value: string) => JSON.stringify(value);

/** Runs wrk under bash so `times` can report wrk's own CPU once it has exited (its /proc entry is gone by then). */
function runUnderBash(args: string[], env: Record<string, string>): Promise<{ stdout: string; childCpuS: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', 'wrk "$@" && times', 'wrk', ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`wrk exited ${code}:\n${stdout}`));
      // `times` prints the shell's user/sys line, then its children's: "0m1.234s 0m0.567s".
      const children =
        stdout
          .trim()
          .split('\n')
          .at(-1)!
          .match(/(\d+)m([\d.]+)s/g) ?? [];
      const childCpuS = children.reduce((sum, t) => {
        const [, m, s] = /(\d+)m([\d.]+)s/.exec(t)!;
        return sum + Number(m) * 60 + Number(s);
      }, 0);
      resolve({ stdout, childCpuS });
    });
  });
}

/** `script` (bench/*.lua) from `clients` connections for `durationS`; `plan` is the Lua its init() loads. */
export async function runWrk(
  baseUrl: string,
  script: string,
  plan: string,
  clients: number,
  durationS: number,
): Promise<{ result: WrkResult; childCpuS: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'escrow-bench-'));
  try {
    const planFile = join(dir, 'plan.lua');
    await writeFile(planFile, plan);
    const args = [
      '-t',
      String(WRK_THREADS),
      '-c',
      String(clients),
      '-d',
      `${durationS}s`,
      '--timeout',
      '10s',
      '-s',
      script,
      baseUrl,
    ];
    const { stdout, childCpuS } = await runUnderBash(args, { WRK_PLAN: planFile, WRK_THREADS: String(WRK_THREADS) });
    const line = stdout.split('\n').find((l) => l.startsWith('WRK_RESULT '));
    if (!line) throw new Error(`wrk printed no result:\n${stdout}`);
    return { result: JSON.parse(line.slice('WRK_RESULT '.length)) as WrkResult, childCpuS };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** GET /v1/milestones/:id round robin over `ids` (bench/read.lua). */
export async function readLatency(
  baseUrl: string,
  token: string,
  ids: readonly string[],
  clients: number,
  durationS: number,
): Promise<WrkResult> {
  const plan = `return { token = ${lua(token)}, ids = { ${ids.map(lua).join(', ')} } }\n`;
  return (await runWrk(baseUrl, 'bench/read.lua', plan, clients, durationS)).result;
}
