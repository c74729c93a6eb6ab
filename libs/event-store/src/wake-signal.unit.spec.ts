import { describe, expect, it } from '@jest/globals';

import {
  WakeSignal,
  formatWakeTopics,
  mergeWakeTopics,
  parseWakeTopics,
  wakeTopics,
} from './wake-signal.js';

const messages = { categories: ['message'], eventTypes: ['MessageSent', 'MessageQueued'] };

describe('WakeSignal', () => {
  describe('When appends name their categories and types', () => {
    it('should concern a subscription only for its own categories and types', () => {
      const wake = new WakeSignal();
      const seen = wake.current;
      wake.notify(wakeTopics(['recipient-1', 'recipient-2'], ['RecipientAdded']));
      expect(wake.concerns(seen, messages)).toBe(false);
      expect(wake.concerns(seen, { categories: ['recipient'] })).toBe(true);
      // The right category with none of the subscription's types is not for it either.
      wake.notify(wakeTopics(['message-1'], ['MessageClaimed']));
      expect(wake.concerns(seen, messages)).toBe(false);
      wake.notify(wakeTopics(['message-1'], ['MessageSent']));
      expect(wake.concerns(seen, messages)).toBe(true);
    });

    it('should concern nobody when nothing was signalled since', () => {
      const wake = new WakeSignal();
      wake.notify();
      expect(wake.concerns(wake.current, undefined)).toBe(false);
    });
  });

  describe('When what was appended is not known', () => {
    it('should concern every subscription: a signal without topics, no filter, or a gap too long', () => {
      const wake = new WakeSignal();
      let seen = wake.current;
      wake.notify(wakeTopics(['tenant-1'], ['TenantCreated']));
      wake.notify(); // e.g. a NOTIFY from an older process, or a poll
      expect(wake.concerns(seen, messages)).toBe(true);
      seen = wake.current;
      wake.notify(wakeTopics(['tenant-1'], ['TenantRenamed']));
      expect(wake.concerns(seen, undefined)).toBe(true);
      expect(wake.concerns(seen, {})).toBe(true);
      // More signals than are remembered: the subscription may have missed one for it.
      for (let i = 0; i < 300; i++) wake.notify(wakeTopics(['tenant-1'], ['TenantRenamed']));
      expect(wake.concerns(seen, messages)).toBe(true);
      expect(wake.concerns(wake.current - 10, messages)).toBe(false);
    });
  });

  describe('When topics cross processes in a NOTIFY payload', () => {
    it('should read back what was written, merged over a burst', () => {
      const merged = mergeWakeTopics(
        wakeTopics(['message-1'], ['MessageSent']),
        wakeTopics(['campaign-2'], ['CampaignCompleted']),
      );
      const back = parseWakeTopics(formatWakeTopics(merged));
      expect(back && [...back.categories].sort()).toEqual(['campaign', 'message']);
      expect(back && [...back.types].sort()).toEqual(['CampaignCompleted', 'MessageSent']);
    });

    it('should treat an empty, garbled or oversized payload as unknown', () => {
      expect(parseWakeTopics('')).toBeUndefined();
      expect(parseWakeTopics(undefined)).toBeUndefined();
      expect(parseWakeTopics('{"c": "message"')).toBeUndefined();
      expect(parseWakeTopics('{"c": [1], "t": []}')).toBeUndefined();
      const many = wakeTopics(
        Array.from({ length: 2000 }, (_, i) => `category${i}-1`),
        ['SomethingHappened'],
      );
      expect(formatWakeTopics(many)).toBe('');
    });
  });
});
