import { randomBytes, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { LocalKeyEncryptionKey, loadKeyEncryptionKey } from './key-encryption-key.js';
import { PrivacyError } from './privacy.errors.js';

import { rejectionOf } from '#testing';

const rejection = (promise: Promise<unknown>): Promise<PrivacyError> =>
  rejectionOf(promise, PrivacyError);

describe('loadKeyEncryptionKey from a key file', () => {
  let folder: string;
  beforeAll(async () => {
    folder = await fs.mkdtemp(join(tmpdir(), 'mp-kek-'));
  });
  afterAll(async () => fs.rm(folder, { recursive: true, force: true }));

  const aKeyFilePath = (): string => join(folder, randomUUID(), 'kek.key');

  describe('When the file is missing and may be created', () => {
    it('should create it with mode 0600, holding base64 of 32 bytes and a newline', async () => {
      const file = aKeyFilePath();
      const kek = await loadKeyEncryptionKey({ file, createIfMissing: true });

      const stat = await fs.stat(file);
      expect(stat.mode & 0o777).toBe(0o600);
      const content = await fs.readFile(file, 'utf8');
      expect(content).toMatch(/^[A-Za-z0-9+/]{43}=\n$/);
      expect(new LocalKeyEncryptionKey(Buffer.from(content.trim(), 'base64')).id).toBe(kek.id);
    });

    it('should load the same key again on the next start', async () => {
      const file = aKeyFilePath();
      const first = await loadKeyEncryptionKey({ file, createIfMissing: true });
      const second = await loadKeyEncryptionKey({ file, createIfMissing: false });
      const dataKey = randomBytes(32);

      expect(second.id).toBe(first.id);
      expect((await second.unwrap(await first.wrap(dataKey))).equals(dataKey)).toBe(true);
    });

    it('should agree on one key when several processes start at once', async () => {
      const file = aKeyFilePath();
      const keys = await Promise.all(
        Array.from({ length: 8 }, () => loadKeyEncryptionKey({ file, createIfMissing: true })),
      );
      expect(new Set(keys.map((k) => k.id)).size).toBe(1);
      const leftovers = (await fs.readdir(join(file, '..'))).filter((name) => name !== 'kek.key');
      expect(leftovers).toEqual([]);
    });
  });

  describe('When the file is missing and may not be created', () => {
    it('should throw KEK_FILE_MISSING', async () => {
      const file = aKeyFilePath();
      const error = await rejection(loadKeyEncryptionKey({ file, createIfMissing: false }));
      expect(error.code).toBe('KEK_FILE_MISSING');
      expect(error.message).toContain(file);
      await expect(fs.stat(file)).rejects.toThrow();
    });
  });

  describe('When the file holds a key written by hand', () => {
    it('should accept it with or without a trailing newline', async () => {
      const key = randomBytes(32);
      for (const ending of ['', '\n', '\r\n']) {
        const file = aKeyFilePath();
        await fs.mkdir(join(file, '..'), { recursive: true });
        await fs.writeFile(file, `${key.toString('base64')}${ending}`, { mode: 0o600 });
        const kek = await loadKeyEncryptionKey({ file, createIfMissing: false });
        expect(kek.id).toBe(new LocalKeyEncryptionKey(key).id);
      }
    });
  });

  describe('When the file is corrupt', () => {
    it.each([
      ['not base64', 'this is not a key!'],
      ['too short', randomBytes(16).toString('base64')],
      ['too long', randomBytes(33).toString('base64')],
      ['empty', ''],
    ])('should throw KEK_FILE_CORRUPT (%s) without printing its content', async (_, content) => {
      const file = aKeyFilePath();
      await fs.mkdir(join(file, '..'), { recursive: true });
      await fs.writeFile(file, content, { mode: 0o600 });

      const error = await rejection(loadKeyEncryptionKey({ file, createIfMissing: true }));
      expect(error.code).toBe('KEK_FILE_CORRUPT');
      if (content !== '') expect(error.message).not.toContain(content);
      expect(await fs.readFile(file, 'utf8')).toBe(content);
    });

    it('should throw KEK_FILE_CORRUPT when the path is a folder', async () => {
      const file = aKeyFilePath();
      await fs.mkdir(file, { recursive: true });
      const error = await rejection(loadKeyEncryptionKey({ file, createIfMissing: true }));
      expect(error.code).toBe('KEK_FILE_CORRUPT');
    });
  });
});
