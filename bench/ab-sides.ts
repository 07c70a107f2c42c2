// The sides of an A/B run (bench/ab.ts): which code, and how many API and workers processes, read from
//   BENCH_AB="base=<ref>,head"         code variants: `label=<git ref>` checks the ref out into a temporary worktree,
//                                      a bare `label` is this checkout as it is (uncommitted changes included)
//   BENCH_AB_PROCESSES="1x1,2x1,1x2"   process shapes: <API processes>x<workers processes>
// Every code variant runs in every shape (defaults: `head` and `1x1`); a side is labelled "<code> <shape>".
import { execFile } from 'node:child_process';
import { mkdtemp, realpath, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const git = async (...args: string[]) => (await run('git', args)).stdout.trim();

export interface Code {
  label: string;
  /** A git ref to check out; none for this checkout. */
  ref?: string;
}

export interface Side {
  label: string;
  code: Code;
  apiProcesses: number;
  workerProcesses: number;
}

export function parseCodes(spec: string | undefined): Code[] {
  const entries = (spec ?? 'head').split(',').map((e) => e.trim());
  const codes = entries.map((entry): Code => {
    const [label = '', ref, ...rest] = entry.split('=');
    if (!/^[\w.-]+$/.test(label) || ref === '' || rest.length > 0) {
      throw new Error(`BENCH_AB: "${entry}" is neither label=<git ref> nor a bare label (this checkout)`);
    }
    return ref === undefined ? { label } : { label, ref };
  });
  if (new Set(codes.map((c) => c.label)).size < codes.length) throw new Error(`BENCH_AB: repeated label in ${spec}`);
  return codes;
}

export function parseShapes(spec: string | undefined): { apiProcesses: number; workerProcesses: number }[] {
  return (spec ?? '1x1').split(',').map((entry) => {
    const match = /^([1-9]\d*)x([1-9]\d*)$/.exec(entry.trim());
    if (!match) throw new Error(`BENCH_AB_PROCESSES: "${entry}" is not <API processes>x<workers processes>, e.g. 2x1`);
    return { apiProcesses: Number(match[1]), workerProcesses: Number(match[2]) };
  });
}

export function parseSides(env: NodeJS.ProcessEnv): Side[] {
  const shapes = parseShapes(env.BENCH_AB_PROCESSES);
  const sides = parseCodes(env.BENCH_AB).flatMap((code) =>
    shapes.map((s) => ({ label: `${code.label} ${s.apiProcesses}x${s.workerProcesses}`, code, ...s })),
  );
  if (new Set(sides.map((s) => s.label)).size < sides.length) throw new Error('BENCH_AB_PROCESSES: repeated shape');
  return sides;
}

/** Where each code variant's service runs from, the commit it is, and how to remove the worktrees again. */
export interface Checkouts {
  cwdOf(code: Code): string;
  commits: Record<string, string>;
  remove: () => Promise<void>;
}

/** A detached worktree of `ref` in a temporary directory, using this checkout's installed packages. */
async function addWorktree(ref: string, nodeModules: string): Promise<{ dir: string; remove(): Promise<void> }> {
  const parent = await mkdtemp(join(tmpdir(), 'escrow-ab-'));
  const dir = join(parent, 'tree');
  const remove = async () => {
    // --force: the node_modules link is an untracked file.
    await git('worktree', 'remove', '--force', dir).catch(() => undefined);
    await rm(parent, { recursive: true, force: true });
    await git('worktree', 'prune');
  };
  try {
    await git('worktree', 'add', '--quiet', '--detach', dir, ref);
    await symlink(nodeModules, join(dir, 'node_modules'));
  } catch (error) {
    await remove();
    throw error;
  }
  return { dir, remove };
}

/** Resolves every code variant's commit (failing early on a bad ref) and checks each ref out once. */
export async function checkOut(codes: Code[]): Promise<Checkouts> {
  const commits: Record<string, string> = {};
  for (const code of codes) {
    const ref = code.ref ?? 'HEAD';
    commits[code.label] = await git('rev-parse', '--verify', '--quiet', `${ref}^{commit}`).catch(() => {
      throw new Error(`BENCH_AB: ${code.label}=${ref}: no such commit here`);
    });
  }
  const dirty = (await git('status', '--porcelain', '--untracked-files=no')) !== '';
  for (const code of codes) if (!code.ref && dirty) commits[code.label] += ' + uncommitted changes';

  const nodeModules = await realpath('node_modules');
  const trees = new Map<string, { dir: string; remove(): Promise<void> }>();
  const remove = async () => {
    for (const tree of trees.values()) await tree.remove();
    trees.clear();
  };
  try {
    for (const code of codes) if (code.ref) trees.set(code.label, await addWorktree(commits[code.label]!, nodeModules));
  } catch (error) {
    await remove();
    throw error;
  }
  return { cwdOf: (code) => trees.get(code.label)?.dir ?? process.cwd(), commits, remove };
}
