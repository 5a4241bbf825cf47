import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useInstance } from '../helpers.js';
import { assertAudited, course, outcomes, register, scheduleOf, setUpTerm } from './helpers.js';

describe('smoke', () => {
  const instance = useInstance();
  it('a request is decided', async () => {
    const { termId, apiKey } = await setUpTerm(instance.app, {
      courses: [course('A'), course('B', { capacity: 1 })],
      students: ['s1', 's2'],
    });
    assert.deepEqual(outcomes(await register(instance.app, termId, apiKey, 's1', [{ add: 'A' }, { add: 'B' }])), ['enrolled', 'enrolled']);
    assert.deepEqual(outcomes(await register(instance.app, termId, apiKey, 's2', [{ add: 'B' }])), ['rejected:full']);
    const s = await scheduleOf(instance.app, termId, apiKey, 's1');
    assert.equal(s.credits, 6);
    await assertAudited(instance.ctx, termId);
  });
});
