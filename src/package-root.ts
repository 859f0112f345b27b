// package-root.ts: the hl package's root directory (where build/, guests/ and
// bench/ live), found from this file whether it runs from dist/src/ or from
// the dist/hl.js bundle.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** The npm package's name (the command it installs is `hl`). */
export const PACKAGE_NAME = 'hl-microvm';

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
    if (meta.name === PACKAGE_NAME) {
      version = meta.version;
      return (root = dir);
    }
    if (path.dirname(dir) === dir) throw new Error(`cannot find the hl package above ${__dirname}`);
  }
}

/** The folder of the bundled sample guests (what `hl guests-path` prints). */
export function guestsPath(): string {
  return path.join(packageRoot(), 'guests', 'bin');
}

/** The guest SDK's folder (what `hl guests-path --sdk` prints): include `$SDK/hl.mk` from a Makefile. */
export function sdkPath(): string {
  return path.join(packageRoot(), 'guests', 'sdk');
}

/** hl's version, from its package.json. */
export function packageVersion(): string {
  packageRoot();
  return version ?? '0.0.0';
}
