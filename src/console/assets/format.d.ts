// Types of format.js (a browser module), for the tests that run its pure functions under Node.
export function stateName(key: string): string;
export function statePath(value: unknown): string;
export function stateLabel(value: unknown): string;
export function activePaths(value: unknown): string[];
export function currencyExponent(currency: string, fromView?: number): number;
export function machineWord(machine: string): string;
export function majorUnits(minor: string, exponent: number): string;
export function parseMajor(text: string, exponent: number): string | null;
export function relative(iso: string, now?: number): string;
