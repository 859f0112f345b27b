// hl-test: no-kvm
// The filter parser and matcher against a table: every rule of the notes
// (tracing-subscriber EnvFilter semantics plus env_logger's /filter).
import t from 'tap';
import { Level, LogFilter, type LevelName, type SpanRef } from '../src/observability/log-filter';

type Case = [filter: string, target: string, level: LevelName, expected: boolean, spans?: SpanRef[]];
const call = (fn: string): SpanRef[] => [{ name: 'call', target: 'hyperlight_host::sandbox', fields: { function_name: fn } }];

const cases: Case[] = [
  ['', 'a::x', 'error', true], // unset: error by default
  ['', 'a::x', 'warn', false],
  ['debug', 'a::x', 'debug', true],
  ['debug', 'b', 'debug', true],
  ['debug', 'b', 'trace', false],
  ['a=info', 'a::x', 'info', true], // prefix match
  ['a=info', 'a::y', 'debug', false],
  ['a=info', 'b', 'error', false], // unmatched targets are off once a directive exists
  ['info,a::y=trace', 'a::x', 'info', true],
  ['info,a::y=trace', 'a::x', 'debug', false],
  ['info,a::y=trace', 'a::y', 'trace', true],
  ['info,a::y=trace', 'b', 'info', true],
  ['a::y=warn,a=debug', 'a::x', 'debug', true], // longest match wins, whatever the order
  ['a::y=warn,a=debug', 'a::y', 'info', false],
  ['a::y=warn,a=debug', 'a::y', 'warn', true],
  ['a::x=error,a=trace', 'a::x', 'debug', false],
  ['off', 'a::x', 'error', false],
  ['OFF', 'a::x', 'error', false], // levels are case-insensitive
  ['a=Info', 'a::x', 'info', true],
  ['A=info', 'a::x', 'error', false], // targets are case-sensitive
  ['none,a::x=info', 'a::x', 'info', true], // "none" is a target that matches nothing
  ['none,a::x=info', 'a::y', 'error', false],
  [',info,', 'b', 'info', true], // empty segments are ignored
  [' info ', 'b', 'info', true],
  ['x=verbose', 'b', 'error', true], // nothing valid: the default applies
  ['x=verbose', 'b', 'warn', false],
  ['x=verbose,a=info', 'a::x', 'info', true], // the invalid one is dropped, the rest applies
  ['x=verbose,a=info', 'b', 'error', false],
  ['a=info,a=warn', 'a::x', 'info', false], // the last duplicate wins
  ['a=info,a=warn', 'a::x', 'warn', true],
  ['a', 'a::x', 'trace', true], // a target alone means trace
  ['3', 'b', 'info', true], // numeric levels: 0 off .. 5 trace
  ['3', 'b', 'debug', false],
  ['0', 'b', 'error', false],
  ['5', 'b', 'trace', true],
  ['a=1', 'a::x', 'warn', false],
  ['a::x', 'a::xy', 'trace', true], // plain string prefix, not path segments
  ['trace,a=off', 'a::x', 'error', false],
  ['trace,a=off', 'b', 'trace', true],
  ['hyperlight=info', 'hyperlight_host::sandbox', 'info', true],
  ['hyperlight=info', 'hyperlight_guest', 'info', true],
  ['hyperlight_host=info', 'hyperlight_guest', 'error', false],
  ['none,hyperlight_host=info', 'hyperlight_host::vm', 'info', true],
  ['warn,hyperlight_guest=trace', 'hyperlight_guest', 'trace', true],
  ['warn,hyperlight_guest=trace', 'hyperlight_host::sandbox', 'info', false],
  ['[call]=debug', 'b', 'debug', true, call('Echo')], // span directives
  ['[call]=debug', 'b', 'error', false], // outside the span: off
  ['[call]=debug', 'b', 'trace', false, call('Echo')],
  ['[call{function_name=Echo}]=trace', 'b', 'trace', true, call('Echo')],
  ['[call{function_name=Echo}]=trace', 'b', 'trace', false, call('Add')],
  ['[call{function_name}]=info', 'b', 'info', true, call('Add')],
  ['warn,[call]=trace', 'b', 'trace', true, call('Echo')],
  ['warn,[call]=trace', 'b', 'info', false],
  ['a[call]=trace', 'a::x', 'trace', false, call('Echo')], // the target is the span's, not the record's
  ['hyperlight_host[call]=trace', 'b', 'trace', true, call('Echo')],
  ['hyperlight_host::sandbox[call]=trace', 'hyperlight_guest', 'trace', true, call('Echo')],
  ['hyperlight_guest[call]=trace', 'hyperlight_guest', 'trace', false, call('Echo')],
  ['[call]hyperlight_host=debug', 'b', 'debug', true, call('Echo')], // either order
  ['[call{function_name=Ech.*}]=trace', 'b', 'trace', true, call('Echo')], // the value is a regular expression
  ['[call{function_name=Ech}]=trace', 'b', 'trace', false, call('Echo')], // ... that must reach the end of the value
  ['[call{function_name=5}]=trace', 'b', 'trace', false, call('5')], // a number matches only a number
  ['[call{function_name=}]=trace', 'b', 'trace', true, [{ name: 'call', target: 'hyperlight_host::sandbox' }]], // no value: any call span
  ['[call{ function_name = Add }]=trace', 'b', 'trace', true, call('Echo')], // blanks: no field condition at all
  ['[]=debug', 'b', 'debug', true], // an empty span is the default level
  ['info=debug', 'b', 'debug', true], // a target spelled like a level is the default level
  ['05', 'b', 'trace', true],
  ['a b=info', 'a', 'error', true], // invalid target characters: dropped, default applies
  ['=info', 'b', 'error', true], // invalid: no target
  ['a=', 'a::x', 'trace', true], // no level means trace
  ['[call]=', 'b', 'trace', true, call('Echo')],
];

t.test('filter table', async (t) => {
  for (const [filter, target, level, expected, spans] of cases) {
    const f = new LogFilter(filter);
    t.equal(f.enabled(target, Level[level], spans), expected, `"${filter}": ${target} at ${level}${spans ? ` in ${spans[0].name}` : ''} -> ${expected}`);
  }
  t.ok(cases.length >= 30);
});

t.test('invalid directives are reported by name', async (t) => {
  t.same(new LogFilter('x=verbose,a=info,=info').invalid, ['x=verbose', '=info']);
  t.same(new LogFilter('info').invalid, []);
  t.equal(new LogFilter('x=verbose').isDefault, true);
  t.equal(new LogFilter('off').isDefault, false);
});

t.test('the /filter on the rendered message', async (t) => {
  const f = new LogFilter('a=warn/timeout');
  t.ok(f.enabled('a::x', Level.warn));
  t.ok(f.messageMatches('request timeout after 2s'));
  t.notOk(f.messageMatches('all fine'));
  const re = new LogFilter('info/^he.*o$');
  t.ok(re.messageMatches('hello'));
  t.notOk(re.messageMatches('a hello'));
  const invalid = new LogFilter('info/(');
  t.ok(invalid.messageMatches('anything'), 'an invalid regex is dropped, as env_logger does');
  t.notOk(invalid.hasMessageFilter);
  t.match(invalid.invalid[0], /not a regular expression/);
  t.ok(new LogFilter('info/(?i)^ERR').messageMatches('err: x'), 'Rust regex syntax: a leading flag group');
  t.ok(new LogFilter('info/[[:upper:]]{3}').messageMatches('an ABC'), 'Rust regex syntax: POSIX classes');
});

t.test('the most verbose level a target could need (guest-side filtering)', async (t) => {
  t.equal(new LogFilter('').maxLevelFor('hyperlight_guest'), Level.error);
  t.equal(new LogFilter('warn,hyperlight_guest=trace').maxLevelFor('hyperlight_guest'), Level.trace);
  t.equal(new LogFilter('none,hyperlight_host=info').maxLevelFor('hyperlight_guest'), Level.off);
  t.equal(new LogFilter('off').maxLevelFor('hyperlight_guest'), Level.off);
  t.equal(new LogFilter('error,[call]=debug').maxLevelFor('hyperlight_guest'), Level.debug, 'span directives count');
});
