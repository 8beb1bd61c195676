import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ShulianError } from '../codec/index.ts';
import { nodeClock } from './clock.ts';

test('SHULIAN_CLOCK_SKEW_MS shifts the node\'s consensus clock; unset, it is the host\'s', () => {
  assert.equal(nodeClock({}).skewMs, 0);
  assert.equal(nodeClock({}).now, Date.now);
  for (const [raw, skew] of [['5000', 5000], ['-5000', -5000], ['+60000', 60000], ['0', 0]] as const) {
    const c = nodeClock({ SHULIAN_CLOCK_SKEW_MS: raw });
    assert.equal(c.skewMs, skew);
    const before = Date.now();
    const t = c.now();
    assert.ok(t >= before + skew && t <= Date.now() + skew, `${raw}: ${t} is the host's clock ${skew} ms off`);
  }
});

test('a skew that is not whole milliseconds within ±60 s is refused with what to give', () => {
  for (const raw of ['5s', '1.5', '60001', '-90000', 'abc', '1e4']) {
    assert.throws(() => nodeClock({ SHULIAN_CLOCK_SKEW_MS: raw }), (err: unknown) => err instanceof ShulianError && err.code === 'CLOCK_SKEW_INVALID' && err.message.includes(`"${raw}"`) && /between -60000 and 60000/.test(err.message));
  }
});
