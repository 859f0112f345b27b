#!/usr/bin/env node
// Makes dist/hl.js.cache, V8's code cache for the CLI bundle, by running a
// representative command through bin/hl with HL_WRITE_CODE_CACHE set. Best
// effort: without KVM (or without the bundle) it does less or nothing, and hl
// works the same, only starts a little slower.
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync, rmSync } = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const bundle = path.join(root, 'dist', 'hl.js');
if (!existsSync(bundle)) process.exit(0);
rmSync(`${bundle}.cache`, { force: true });
const hl = path.join(root, 'bin', 'hl');
const env = { ...process.env, HL_WRITE_CODE_CACHE: '1', HL_LOG: '', RUST_LOG: '' };
const guest = path.join(root, 'guests', 'bin', 'simpleguest.bin');
const run = spawnSync(process.execPath, [hl, 'run', guest, '--fn', 'Echo', '--arg', 'cache'], { env, stdio: 'ignore' });
if (run.status !== 0) spawnSync(process.execPath, [hl, '--help'], { env, stdio: 'ignore' });
