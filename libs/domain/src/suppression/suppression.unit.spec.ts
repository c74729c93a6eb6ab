import { describe, it } from '@jest/globals';

import {
  RecipientError,
  suppressionDecider,
  type AddressSuppressed,
  type SuppressAddress,
} from '#domain';
import { aNow, anId } from '../../../testing/src/builders/common.builders.js';
import { DeciderSpecification } from '../../../testing/src/decider-specification.js';

const given = DeciderSpecification.for(suppressionDecider);

describe('Suppression', () => {
  const now = aNow();
  const suppressionId = anId();
  const tenantId = anId();
  const emailIndex = 'ab'.repeat(32);
  const suppress = (index = emailIndex): SuppressAddress => ({
    type: 'SuppressAddress',
    data: { suppressionId, tenantId, emailIndex: index },
    metadata: { now },
  });
  const suppressed: AddressSuppressed = {
    type: 'AddressSuppressed',
    data: {
      suppressionId,
      tenantId,
      emailIndex,
      reason: 'manual',
      suppressedAt: now.toISOString(),
    },
  };

  describe('When the address is not suppressed yet', () => {
    it('should suppress it manually', () => given([]).when(suppress()).then([suppressed]));

    it('should refuse anything but a keyed index', () =>
      given([])
        .when(suppress('ada@example.org'))
        .thenThrows(RecipientError, (e) => e.code === 'INVALID_EMAIL'));
  });

  describe('When it is suppressed already', () => {
    it('should record nothing', () => given([suppressed]).when(suppress()).thenNothing());
  });
});
