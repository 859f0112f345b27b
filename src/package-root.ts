// package-root.ts: the hl package's root directory (where build/, guests/ and
// bench/ live), found from this file whether it runs from dist/src/ or from
// the dist/hl.js bundle.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

let root: string | undefined;
let version: string | undefined;

export function packageRoot(): string {
  if (root) return root;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (!existsSync(pkg)) {
      if (path.dirname(dir) === dir) throw new Error(`cannot find the hl package above ${__dirname}`);
      continue;
    }
    const meta = JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string; version?: string };
    if (meta.name === 'hl') {
      version = meta.version;
      return (root = dir);
    }
    if (path.dirname(dir) === dir) throw new Error(`cannot find the hl package above ${__dirname}`);
  }
}

/** hl's version, from its package.json. */
export function packageVersion(): string {
  packageRoot();
  return version ?? '0.0.0';
}
