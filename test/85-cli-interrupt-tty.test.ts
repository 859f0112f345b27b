// hl-test: slow
// Ctrl-C and SIGTERM while the spinner shows, in a real terminal: an
// interactive bash in a tmux pane, keys sent as a user types them. The run is
// cancelled, not killed: the error line, the metrics file, exit 130/143, the
// cursor shown again, and bash goes on with the rest of the command line.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import t, { type Test } from 'tap';
import { hlBin, root, simpleguest } from './helpers';
import { type Pane, startPane } from './tmux-pane';

const node = JSON.stringify(process.execPath);
const driver = path.join(__dirname, 'spin-driver.js');

async function interrupt(t: Test, command: (file: string) => string, spinning: RegExp, how: 'C-c' | 'SIGTERM') {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'hl-tty-')), 'out');
  const pane: Pane = await startPane();
  t.teardown(() => pane.stop());
  pane.type(`cd ${JSON.stringify(root)}; ${command(file)}; echo "AFTER $?"`);
  await pane.waitFor(spinning, /^AFTER \d+$/m);
  t.notOk(pane.cursorVisible(), 'the spinner hides the cursor');
  if (how === 'C-c') pane.keys('C-c');
  else for (const pid of pane.children()) process.kill(pid, 'SIGTERM');
  await pane.waitFor(/^READY\$ $/m); // the prompt is back
  const screen = pane.screen();
  const after = /^AFTER (\d+)$/m.exec(screen);
  t.ok(after, 'bash ran the rest of the command line');
  return { file, status: after ? Number(after[1]) : NaN, screen, cursor: pane.cursorVisible() };
}

const cases = [['C-c', 'SIGINT', 130], ['SIGTERM', 'SIGTERM', 143]] as const;

for (const [how, signal, code] of cases) {
  t.test(`${how} while the spinner shows: the handlers survive ora (no guest needed)`, async (t) => {
    const r = await interrupt(t, (file) => `${node} ${JSON.stringify(driver)} ${file}`, /calling Wait \(\d+\.\ds\)/, how);
    t.equal(r.status, code, `exit ${code}, not death by the signal`);
    t.match(r.screen, `driver: error: Wait cancelled: interrupted by ${signal}`);
    t.equal(existsSync(r.file) && readFileSync(r.file, 'utf8'), `cancelled by ${signal}\n`, 'the work after the signal ran');
    t.ok(r.cursor, 'the cursor is shown again');
  });

  t.test(`hl run: ${how} during a spinning call still writes --metrics-dump=FILE and exits ${code}`, async (t) => {
    const r = await interrupt(t, (file) => `${node} ${JSON.stringify(hlBin)} run ${JSON.stringify(simpleguest)} --fn Spin --metrics-dump=${file}`, /calling Spin \(\d+\.\ds\)/, how);
    t.equal(r.status, code);
    t.match(r.screen, `hl: error: Spin cancelled: interrupted by ${signal}`);
    t.match(existsSync(r.file) ? readFileSync(r.file, 'utf8') : '', /^hyperlight_number_of_cancelled_guest_execution 1$/m, 'the metrics file');
    t.ok(r.cursor, 'the cursor is shown again');
  });
}

t.test('--arg - on a terminal says what it waits for, and takes what is typed', async (t) => {
  const pane: Pane = await startPane();
  t.teardown(() => pane.stop());
  pane.type(`cd ${JSON.stringify(root)}; ${node} ${JSON.stringify(hlBin)} run ${JSON.stringify(simpleguest)} --fn EchoBytes --arg -; echo "AFTER $?"`);
  await pane.waitFor(/hl: reading argument 1 of EchoBytes from the terminal; end it with Ctrl-D/, /^AFTER \d+$/m);
  pane.type('typed text');
  pane.keys('C-d');
  await pane.waitFor(/^AFTER 0$/m);
  // `-` reads bytes (a string argument is the word itself). The terminal
  // echoes the typed line; the result, bytes on a terminal, is shown in hex.
  t.match(pane.screen(), /^typed text\n74797065642074657874(0a)?\nAFTER 0$/m, 'the result is what was typed');
});
