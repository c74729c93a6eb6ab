import { afterEach, describe, expect, it, jest } from '@jest/globals';

import { loadConfig } from './config/app.config.js';
import { createLogger } from './logger.js';

const written = () => {
  const lines: string[] = [];
  const capture = (chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  };
  jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  return lines;
};

describe('createLogger', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  describe('Given LOG_LEVEL=warn and JSON lines', () => {
    const logger = createLogger(
      loadConfig({ LOG_LEVEL: 'warn', MAILPACKR_LOG_FORMAT: 'json', NODE_ENV: 'test' }),
    );

    it('should print warnings with every email address redacted', () => {
      const lines = written();
      logger.warn({ event: 'smtp', reply: '550 <ada@example.org> unknown' });
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('"level":"warn"');
      expect(lines[0]).not.toContain('ada@example.org');
    });

    it('should print nothing below the level', () => {
      const lines = written();
      logger.log({ event: 'request', note: 'ada@example.org' });
      logger.debug('ada@example.org');
      logger.verbose('ada@example.org');
      expect(lines).toEqual([]);
    });
  });
});
