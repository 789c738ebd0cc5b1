import { test } from 'node:test';
import assert from 'node:assert/strict';
import { combineObservers, type CoreObserver } from '../../src/core/observer.js';

test('combineObservers calls methods of class instances as well as of plain objects', () => {
  const calls: string[] = [];
  class Counting implements CoreObserver {
    private readonly label = 'class';
    channelOccupied(e: { appId: string; channel: string }): void {
      calls.push(`${this.label}:${e.channel}`);
    }
  }
  const combined = combineObservers([new Counting(), { channelOccupied: (e) => calls.push(`plain:${e.channel}`) }]);
  combined.channelOccupied?.({ appId: 'a', channel: 'news' });
  assert.deepEqual(calls, ['class:news', 'plain:news']);
  assert.equal((combined as Record<string, unknown>)['label'], undefined, 'fields are not mistaken for methods');
});
