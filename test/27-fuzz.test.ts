// A bounded fuzz run of every decoder of guest-written data, the ELF loader,
// and the whole host path with a guest that sends mutated messages.
// `npm run fuzz` runs the same targets longer.
import t from 'tap';
import { bootImage, fuzzElf, fuzzGuest, fuzzMessage, fuzzSandbox } from './fuzz/targets';
import { rounds } from './helpers';

t.test('message decoders: 20,000 inputs', async (t) => {
  const n = rounds(20_000);
  const seen = new Map<string, number>();
  for (let seed = 0; seed < n; seed++) {
    const o = fuzzMessage(seed);
    seen.set(o, (seen.get(o) ?? 0) + 1);
  }
  t.ok(seen.get('ABI_VIOLATION')! > n / 20, 'most mutations are refused');
  t.ok((seen.get('ok') ?? 0) > 0, 'some survive as valid');
  t.same([...seen.keys()].sort(), ['ABI_VIOLATION', 'INVALID_GUEST', 'ok'], 'nothing but a result, ABI_VIOLATION or INVALID_GUEST (a name made invalid)');
});

t.test('ELF loader: 5,000 mutated images, the loadable ones booted', async (t) => {
  const n = rounds(5_000);
  let ok = 0;
  let booted = 0;
  for (let seed = 0; seed < n; seed++) {
    const { outcome, image } = fuzzElf(seed);
    if (outcome === 'ok') ok++;
    if (image && booted < rounds(100)) {
      await bootImage(image);
      booted++;
    }
  }
  t.ok(ok > 0 && ok < n, `${ok} of ${n} mutations still load`);
  t.ok(booted > 0, `${booted} booted without harming the host`);
});

t.test('guest-written messages end to end: 3,000 calls', async (t) => {
  const sb = await fuzzSandbox();
  t.teardown(() => sb.dispose());
  const seen = new Map<string, number>();
  for (let seed = 0; seed < rounds(3_000); seed++) {
    const o = await fuzzGuest(sb, seed);
    seen.set(o, (seen.get(o) ?? 0) + 1);
  }
  t.ok(seen.size >= 3, `outcomes: ${JSON.stringify(Object.fromEntries(seen))}`);
  t.equal(await sb.call('BadUtf8').catch((e) => e.code), 'ABI_VIOLATION', 'still answering');
});
