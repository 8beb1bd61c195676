import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { AlarmStore } from './store.ts';

test('deliveries of one event to several targets finishing at once each keep their status', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shulian-alarms-'));
  const store = new AlarmStore(join(dir, 'alarms.lmdb'));
  try {
    const ev = await store.record({ id: 'height-stalled/notary', kind: 'height-stalled', chain: 'notary', state: 'firing', message: 'm', time: 1, value: 3, threshold: 2 }, ['ops', 'audit', 'smtp'], 1);
    // As the service delivers them: in parallel, each finishing on its own schedule.
    await Promise.all([
      store.finish({ seq: ev.seq, target: 'ops', attempts: 1, due: 1 }, 'delivered'),
      store.retry({ seq: ev.seq, target: 'audit', attempts: 1, due: 1 }, 5, 'audit: answered 503'),
      store.finish({ seq: ev.seq, target: 'smtp', attempts: 2, due: 1 }, 'failed', 'smtp: refused'),
    ]);
    assert.deepEqual(store.event(ev.seq)!.deliveries, {
      ops: { status: 'delivered', attempts: 1 },
      audit: { status: 'pending', attempts: 1, error: 'audit: answered 503' },
      smtp: { status: 'failed', attempts: 2, error: 'smtp: refused' },
    });
    assert.deepEqual(store.due(10, 10).map((d) => d.target), ['audit']);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
