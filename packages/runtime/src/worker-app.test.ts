import { loadConfig } from '@integrador/config';
import { withAppDefaults } from './worker-app';

describe('a worker app default concurrency', () => {
  it('applies when WORKER_CONCURRENCY is unset, and never over the variable', () => {
    expect(withAppDefaults(loadConfig({}, '/srv'), { defaultConcurrency: 100 }).workerConcurrency).toBe(100);
    expect(withAppDefaults(loadConfig({ WORKER_CONCURRENCY: '7' }, '/srv'), { defaultConcurrency: 100 }).workerConcurrency).toBe(7);
    expect(withAppDefaults(loadConfig({}, '/srv'), {}).workerConcurrency).toBe(10);
  });
});
