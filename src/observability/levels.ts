// levels.ts: the log levels, most severe first; a record passes when its level
// is <= the enabled level (tracing's LevelFilter order, off = 0 .. trace = 5).
export const Level = { off: 0, error: 1, warn: 2, info: 3, debug: 4, trace: 5 } as const;
export type LevelName = keyof typeof Level;
export type LevelValue = (typeof Level)[LevelName];
const NAMES: LevelName[] = ['off', 'error', 'warn', 'info', 'debug', 'trace'];

export function levelName(v: number): LevelName {
  return NAMES[Math.max(0, Math.min(5, v))];
}
