import { PassThrough } from 'node:stream';

import { describe, expect, it } from '@jest/globals';

import { UsageError } from './recipient.commands.js';
import { readPassword } from './session.commands.js';

/** Standard input as a pipe (not a terminal) that holds `text` and then ends. */
const piped = (text: string) => {
  const input = new PassThrough();
  input.end(text);
  return input;
};

describe('readPassword', () => {
  describe('When the password is piped in', () => {
    it('should take the first line, without its line ending, and print no prompt', async () => {
      const output = new PassThrough();
      const written: string[] = [];
      output.on('data', (chunk: Buffer) => written.push(chunk.toString()));
      await expect(readPassword(piped('correct horse\r\nsecond line\n'), output)).resolves.toBe(
        'correct horse',
      );
      await expect(readPassword(piped('no line ending'), output)).resolves.toBe('no line ending');
      expect(written.join('')).toBe('');
    });
  });

  describe('When standard input ends before a line', () => {
    it('should refuse with a usage error instead of waiting', async () => {
      await expect(readPassword(piped(''), new PassThrough())).rejects.toBeInstanceOf(UsageError);
    });
  });
});
