// doctor.ts: `hl doctor` says whether KVM is usable here, and if not, what to do.
import { Command } from 'commander';
import { diagnose } from '../../sandbox/diagnose';
import { ExitCode } from '../exit-codes';

export function doctorCommand(): Command {
  return new Command('doctor')
    .description('check that this machine can run hl sandboxes (exit 0 if so, 69 if not)')
    .option('--json', 'print the findings as JSON')
    .addHelpText('after', '\nExample:\n  $ hl doctor')
    .action((opts: { json?: boolean }) => {
      const findings = diagnose();
      const ok = findings.every((f) => f.ok);
      if (opts.json) process.stdout.write(JSON.stringify({ ok, findings }, null, 2) + '\n');
      else {
        for (const f of findings) {
          process.stdout.write(`${f.ok ? 'ok  ' : 'FAIL'} ${f.check}: ${f.detail}\n`);
          if (f.fix) process.stdout.write(`     fix: ${f.fix}\n`);
        }
        process.stdout.write(ok ? 'hl can run sandboxes on this machine\n' : 'hl cannot run sandboxes on this machine\n');
      }
      process.exitCode = ok ? ExitCode.Ok : ExitCode.KvmUnavailable;
    });
}
