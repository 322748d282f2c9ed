import { loadConfig } from '@integrador/config';
import { crmPoolSize, withAppDefaults } from './worker-app';

describe('a worker app default concurrency', () => {
  it('applies when WORKER_CONCURRENCY is unset, and never over the variable', () => {
    expect(withAppDefaults(loadConfig({}, '/srv'), { defaultConcurrency: 100 }).workerConcurrency).toBe(100);
    expect(withAppDefaults(loadConfig({ WORKER_CONCURRENCY: '7' }, '/srv'), { defaultConcurrency: 100 }).workerConcurrency).toBe(7);
    expect(withAppDefaults(loadConfig({}, '/srv'), {}).workerConcurrency).toBe(10);
  });

  it('sizes the CRM pool a connection per job and two spare, up to the app maximum', () => {
    expect(crmPoolSize({ workerConcurrency: 10 }, {})).toBe(12);
    expect(crmPoolSize({ workerConcurrency: 100 }, {})).toBe(50);
    // worker-webhook: 100 deliveries whose database work is grouped do not hold 50 connections per process.
    expect(crmPoolSize({ workerConcurrency: 100 }, { maxPoolSize: 20 })).toBe(20);
    expect(crmPoolSize({ workerConcurrency: 5 }, { maxPoolSize: 20 })).toBe(7);
  });
});
