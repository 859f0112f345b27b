// run.ts: a longer fuzz run than the suite's (npm run fuzz -- [iterations]).
import { bootImage, fuzzElf, fuzzGuest, fuzzMessage, fuzzSandbox } from './targets';

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 100_000);
  const stats: Record<string, Record<string, number>> = { message: {}, elf: {}, boot: {}, guest: {} };
  const count = (target: string, outcome: string) => (stats[target][outcome] = (stats[target][outcome] ?? 0) + 1);
  for (let seed = 0; seed < n; seed++) count('message', fuzzMessage(seed));
  let boots = 0;
  for (let seed = 0; seed < n; seed++) {
    const { outcome, image } = fuzzElf(seed);
    count('elf', outcome);
    if (image && boots++ < n / 50) count('boot', await bootImage(image));
  }
  const sb = await fuzzSandbox();
  for (let seed = 0; seed < n / 10; seed++) count('guest', await fuzzGuest(sb, seed));
  sb.dispose();
  console.log(JSON.stringify(stats, null, 2));
}

main().catch((err) => {
  console.error('fuzz finding:', err);
  process.exit(1);
});
