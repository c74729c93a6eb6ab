import { randomUUID } from 'node:crypto';

import { describe, expect, it } from '@jest/globals';

import { parseDeliveryEvents } from './delivery-events.payload.js';

// fixtures (above the tests: `it.each` tables read them when the file loads)
const MESSAGE_ID = randomUUID();
const body = (...events: unknown[]) => ({ events });
const aBounce = (overrides: Record<string, unknown> = {}) => ({
  id: 'evt_1',
  type: 'bounce',
  messageId: MESSAGE_ID,
  bounce: { kind: 'hard' },
  ...overrides,
});
const aComplaint = (overrides: Record<string, unknown> = {}) => ({
  id: 'evt_2',
  type: 'complaint',
  messageId: MESSAGE_ID,
  ...overrides,
});

describe('Delivery-events payload', () => {
  describe('When the body is valid', () => {
    it('should read a bounce, normalising the message id', () =>
      expect(
        parseDeliveryEvents(
          body(
            aBounce({
              messageId: MESSAGE_ID.toUpperCase(),
              occurredAt: '2025-03-01T11:59:00.123Z',
              bounce: { kind: 'hard', status: '5.1.1', diagnostic: 'smtp; 550 5.1.1 user unknown' },
            }),
          ),
        ),
      ).toEqual({
        ok: true,
        events: [
          {
            id: 'evt_1',
            type: 'bounce',
            messageId: MESSAGE_ID,
            occurredAt: new Date('2025-03-01T11:59:00.123Z'),
            bounce: { kind: 'hard', status: '5.1.1', diagnostic: 'smtp; 550 5.1.1 user unknown' },
          },
        ],
      }));

    it.each([
      [{ status: '5.1.1' }, 'hard'],
      [{ status: '4.2.2' }, 'soft'],
      [{ status: '5.7.1', diagnostic: 'blocked as spam' }, 'blocked'],
      [{ diagnostic: '550 No such user here' }, 'hard'],
      [{}, 'soft'],
      [{ kind: null, status: null, diagnostic: null }, 'soft'],
    ])('should classify a bounce without a kind (%j → %s)', (bounce, kind) => {
      const result = parseDeliveryEvents(body(aBounce({ bounce })));
      expect(result.ok && result.events[0]).toMatchObject({ bounce: { kind } });
    });

    it('should read a complaint, abuse by default', () => {
      const result = parseDeliveryEvents(
        body(
          aComplaint(),
          aComplaint({ id: 'evt_3', complaint: { feedbackType: 'Fraud' } }),
          aComplaint({ id: 'evt_4', complaint: {} }),
        ),
      );
      expect(result.ok && result.events.map((e) => e.type === 'complaint' && e.complaint)).toEqual([
        { feedbackType: 'abuse' },
        { feedbackType: 'fraud' },
        { feedbackType: 'abuse' },
      ]);
    });

    it('should take 500 events', () => {
      const events = Array.from({ length: 500 }, (_, i) => aBounce({ id: `evt_${i}` }));
      expect(parseDeliveryEvents(body(...events))).toMatchObject({ ok: true });
    });
  });

  describe('When the body is not of the documented shape', () => {
    it.each([
      ['not an object', [], '$'],
      ['no events', {}, '$.events'],
      ['events not an array', { events: {} }, '$.events'],
      ['no event', { events: [] }, '$.events'],
      ['501 events', { events: Array.from({ length: 501 }, () => aBounce()) }, '$.events'],
      ['an unknown top-level field', { events: [aBounce()], card: '4111111111111111' }, '$.card'],
      ['an unknown event field', body(aBounce({ email: 'ada@example.org' })), '$.events[0].email'],
      ['an unknown field with an odd name', body(aBounce({ 'e-mail': 'x' })), '$.events[0]'],
      [
        'an unknown bounce field',
        body(aBounce({ bounce: { kind: 'hard', to: 'x' } })),
        '$.events[0].bounce.to',
      ],
      [
        'an unknown complaint field',
        body(aComplaint({ complaint: { from: 'x' } })),
        '$.events[0].complaint.from',
      ],
      ['an event not an object', { events: ['evt'] }, '$.events[0]'],
      ['no id', body(aBounce({ id: undefined })), '$.events[0].id'],
      ['an empty id', body(aBounce({ id: '' })), '$.events[0].id'],
      ['an id of 201 characters', body(aBounce({ id: 'e'.repeat(201) })), '$.events[0].id'],
      ['an id with a line break', body(aBounce({ id: 'evt\n1' })), '$.events[0].id'],
      ['a numeric id', body(aBounce({ id: 7 })), '$.events[0].id'],
      ['an unknown type', body(aBounce({ type: 'delivered' })), '$.events[0].type'],
      [
        'a message id that is no UUID',
        body(aBounce({ messageId: '<abc@mail>' })),
        '$.events[0].messageId',
      ],
      ['no message id', body(aBounce({ messageId: undefined })), '$.events[0].messageId'],
      [
        'a date without a zone',
        body(aBounce({ occurredAt: '2025-03-01T10:00:00' })),
        '$.events[0].occurredAt',
      ],
      [
        'a date that is no date',
        body(aBounce({ occurredAt: '2025-13-45T10:00:00Z' })),
        '$.events[0].occurredAt',
      ],
      ['a bounce without bounce', body(aBounce({ bounce: undefined })), '$.events[0].bounce'],
      ['a bounce with a complaint', body(aBounce({ complaint: {} })), '$.events[0].complaint'],
      [
        'a complaint with a bounce',
        body(aComplaint({ bounce: { kind: 'hard' } })),
        '$.events[0].bounce',
      ],
      [
        'an unknown kind',
        body(aBounce({ bounce: { kind: 'permanent' } })),
        '$.events[0].bounce.kind',
      ],
      [
        'a status that is no code',
        body(aBounce({ bounce: { status: '550' } })),
        '$.events[0].bounce.status',
      ],
      [
        'a success status',
        body(aBounce({ bounce: { status: '2.0.0' } })),
        '$.events[0].bounce.status',
      ],
      [
        'a diagnostic of 1001 characters',
        body(aBounce({ bounce: { diagnostic: 'x'.repeat(1001) } })),
        '$.events[0].bounce.diagnostic',
      ],
      [
        'a diagnostic not a string',
        body(aBounce({ bounce: { diagnostic: 550 } })),
        '$.events[0].bounce.diagnostic',
      ],
      [
        'a feedback type with spaces',
        body(aComplaint({ complaint: { feedbackType: 'not spam' } })),
        '$.events[0].complaint.feedbackType',
      ],
      [
        'a feedback type of 41 characters',
        body(aComplaint({ complaint: { feedbackType: 'a'.repeat(41) } })),
        '$.events[0].complaint.feedbackType',
      ],
    ])('should refuse %s, naming the path', (_name, input, path) => {
      const result = parseDeliveryEvents(input);
      expect(result).toMatchObject({ ok: false, path });
    });

    it('should name the first invalid event of many', () =>
      expect(
        parseDeliveryEvents(
          body(aBounce(), aBounce({ id: 'evt_2' }), aBounce({ messageId: 'nope' })),
        ),
      ).toMatchObject({ ok: false, path: '$.events[2].messageId' }));

    it('should not echo field values in its message', () => {
      const result = parseDeliveryEvents(body(aBounce({ messageId: 'ada@example.org' })));
      expect(result.ok).toBe(false);
      expect(JSON.stringify(result)).not.toContain('ada@example.org');
    });
  });
});
