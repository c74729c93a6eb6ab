import 'reflect-metadata';

import { describe, expect, it } from '@jest/globals';

import { ConfigError, loadConfig } from '../config/app.config.js';

const problemsOf = (overrides: Record<string, string>): string[] => {
  try {
    loadConfig({}, overrides);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems;
  }
};

describe('Operations settings', () => {
  describe('When nothing is set', () => {
    it('should default to text logs outside production, json in production, lag 10000, 30 s', () => {
      const config = loadConfig({}, {});
      expect(config.logFormat).toBe('text');
      expect(config.MAILPACKR_READY_MAX_LAG).toBe(10_000);
      expect(config.MAILPACKR_SHUTDOWN_TIMEOUT_MS).toBe(30_000);
      expect(config.MAILPACKR_METRICS_TOKEN).toBeUndefined();
      expect(loadConfig({}, { NODE_ENV: 'production' }).logFormat).toBe('json');
      expect(
        loadConfig({}, { NODE_ENV: 'production', MAILPACKR_LOG_FORMAT: 'text' }).logFormat,
      ).toBe('text');
    });
  });

  describe('When /metrics has no token', () => {
    it('should be open on a loopback host or outside production, closed otherwise', () => {
      expect(loadConfig({}, {}).metricsOpen).toBe(true);
      expect(loadConfig({}, { NODE_ENV: 'production' }).metricsOpen).toBe(true);
      expect(loadConfig({}, { NODE_ENV: 'production', HOST: '::1' }).metricsOpen).toBe(true);
      expect(loadConfig({}, { NODE_ENV: 'production', HOST: '0.0.0.0' }).metricsOpen).toBe(false);
      expect(loadConfig({}, { HOST: '0.0.0.0' }).metricsOpen).toBe(true);
    });
  });

  describe('When a setting is wrong', () => {
    it('should name each one with a clear message', () => {
      expect(problemsOf({ MAILPACKR_LOG_FORMAT: 'xml' })).toEqual([
        'MAILPACKR_LOG_FORMAT: MAILPACKR_LOG_FORMAT must be json or text',
      ]);
      expect(problemsOf({ MAILPACKR_READY_MAX_LAG: 'lots' })).toContain(
        'MAILPACKR_READY_MAX_LAG: MAILPACKR_READY_MAX_LAG must be a whole number of events',
      );
      expect(problemsOf({ MAILPACKR_READY_MAX_LAG: '20000' })).toEqual([
        'MAILPACKR_READY_MAX_LAG: MAILPACKR_READY_MAX_LAG must not be greater than 10000',
      ]);
      expect(problemsOf({ MAILPACKR_METRICS_TOKEN: 'short' })).toEqual([
        'MAILPACKR_METRICS_TOKEN: MAILPACKR_METRICS_TOKEN must be at least 16 characters',
      ]);
      expect(problemsOf({ MAILPACKR_METRICS_TOKEN: 'has spaces in it, not ok' })).toEqual([
        'MAILPACKR_METRICS_TOKEN: MAILPACKR_METRICS_TOKEN may only hold A-Z a-z 0-9 . _ ~ + / = -',
      ]);
      expect(problemsOf({ MAILPACKR_SHUTDOWN_TIMEOUT_MS: '10' })).toEqual([
        'MAILPACKR_SHUTDOWN_TIMEOUT_MS: MAILPACKR_SHUTDOWN_TIMEOUT_MS must not be less than 1000',
      ]);
    });
  });

  describe('When the CLI is given a session token to run as', () => {
    it('should take a session token and name anything else', () => {
      expect(loadConfig({}, { MAILPACKR_SESSION_TOKEN: 'mps_abc' }).MAILPACKR_SESSION_TOKEN).toBe(
        'mps_abc',
      );
      expect(problemsOf({ MAILPACKR_SESSION_TOKEN: 'mpk_an-api-key' })).toEqual([
        'MAILPACKR_SESSION_TOKEN: MAILPACKR_SESSION_TOKEN must be a session token (mps_…), as mailpackr login prints it',
      ]);
    });
  });

  describe('When several API processes are asked for', () => {
    it('should need PostgreSQL, and take 1 to 64', () => {
      expect(loadConfig({}, {}).MAILPACKR_API_PROCESSES).toBe(1);
      expect(problemsOf({ MAILPACKR_API_PROCESSES: '2' })).toEqual([
        expect.stringMatching(/^MAILPACKR_API_PROCESSES: more than 1 needs DATABASE_URL/),
      ]);
      const pg = { DATABASE_URL: 'postgres://localhost/mailpackr' };
      expect(loadConfig({}, { ...pg, MAILPACKR_API_PROCESSES: '4' }).MAILPACKR_API_PROCESSES).toBe(
        4,
      );
      expect(problemsOf({ ...pg, MAILPACKR_API_PROCESSES: '0' })).toHaveLength(1);
      expect(problemsOf({ ...pg, MAILPACKR_API_PROCESSES: 'two' })).toContain(
        'MAILPACKR_API_PROCESSES: MAILPACKR_API_PROCESSES must be a whole number',
      );
    });
  });
});
