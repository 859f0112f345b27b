// hl-test: no-kvm
// What a host function threw, read without running any of its code (no KVM).
import t from 'tap';
import { hostFailure } from '../src/sandbox/host-errors';

t.test('every thrown value becomes a bounded message, read safely', (t) => {
  const trap = () => {
    throw new Error('trap ran');
  };
  const everyTrap = new Proxy({}, { get: trap, getPrototypeOf: trap, getOwnPropertyDescriptor: trap, has: trap, ownKeys: trap });
  class BadName extends Error {
    override get name(): string {
      throw new Error('name getter ran');
    }
  }
  const withProxyProto = new Error('proto');
  Object.setPrototypeOf(withProxyProto, new Proxy(Error.prototype, { getPrototypeOf: trap, getOwnPropertyDescriptor: trap }));
  const plain = new Error('plain');
  const rows: [string, unknown, string, boolean][] = [
    // [what, thrown, the guest's message, passed on as the same object]
    ['an Error', plain, 'plain', true],
    ['a TypeError', new TypeError('typed'), 'typed', true],
    ['an Error without a message', new Error(), '', true],
    ['a string', 'just text', 'just text', false],
    ['a number', 42, 'host function F threw the number 42', false],
    ['a bigint', 7n, 'host function F threw the bigint 7', false],
    ['a boolean', false, 'host function F threw the boolean false', false],
    ['undefined', undefined, 'host function F threw undefined', false],
    ['null', null, 'host function F threw null', false],
    ['a symbol', Symbol('s'), 'host function F threw a symbol', false],
    ['a function', () => 1, 'host function F threw a function', false],
    ['a null-prototype object', Object.assign(Object.create(null), { message: 'm' }), 'host function F threw a non-Error object', false],
    ['an object with a message', { message: 'not an Error' }, 'host function F threw a non-Error object', false],
    ['a Proxy whose every trap throws', everyTrap, 'host function F threw a non-Error object', false],
    ['a Proxy around an Error', new Proxy(new Error('wrapped'), { get: trap }), 'host function F threw a non-Error object', false],
    ['an Error whose prototype is a Proxy', withProxyProto, 'host function F threw a non-Error object', false],
    ['an object whose message and toString throw', { get message(): string { return trap(); }, toString: trap }, 'host function F threw a non-Error object', false],
    ['an Error whose message getter throws', Object.defineProperty(new Error('x'), 'message', { get: trap }), 'host function F threw a non-Error object', false],
    ['an Error whose name getter throws', new BadName('named'), 'host function F threw a non-Error object', false],
    ['a 1 MiB string', 'x'.repeat(1 << 20), 'x'.repeat(1024), false],
    ['a 1 MiB Error message', new Error('y'.repeat(1 << 20)), 'y'.repeat(1024), true],
  ];
  for (const [what, thrown, text, same] of rows) {
    const f = hostFailure('F', thrown, 1024);
    t.equal(f.text, text, `${what}: message`);
    t.ok(f.text.length <= 1024, `${what}: bounded`);
    t.ok(f.error instanceof Error, `${what}: an Error for observers and spans`);
    if (same) t.equal(f.error, thrown, `${what}: passed on unchanged`);
    else t.match(f.error, { code: 'HOST_FUNCTION', message: text, details: { function: 'F' } }, `${what}: a HOST_FUNCTION HlError`);
  }
  t.end();
});
