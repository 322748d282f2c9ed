import { PermanentError } from './permanent-error';
import { recordGroupSize, runGroup } from './record-group';

const batched = { lote_maximo: 3, indice_array_retorno: 'retornosClientes' };

describe('recordGroupSize: a job’s records go out together only with micro-batching on', () => {
  it('lote_maximo with an answer list and distinct keys; one at a time otherwise', () => {
    expect(recordGroupSize(batched, ['1', '2'])).toBe(3);
    expect(recordGroupSize({ lote_maximo: null, indice_array_retorno: 'retornosClientes' }, ['1', '2'])).toBe(1);
    expect(recordGroupSize({ lote_maximo: 1, indice_array_retorno: 'retornosClientes' }, ['1', '2'])).toBe(1);
    expect(recordGroupSize({ lote_maximo: 3, indice_array_retorno: ' ' }, ['1', '2'])).toBe(1);
    // A repeated key shares one outbox row: its records must not race for it.
    expect(recordGroupSize(batched, ['1', '2', '1'])).toBe(1);
    expect(recordGroupSize(batched, ['1'])).toBe(1);
  });
});

describe('runGroup', () => {
  const transient = new Error('socket hang up');
  const refused = new PermanentError('RECEPTOR_ERROR', 'tipCli inválido');

  it('one at a time: stops at the first failure, as a plain loop', async () => {
    const ran: number[] = [];
    const run = async (n: number) => {
      ran.push(n);
      if (n === 2) throw transient;
      return n;
    };
    await expect(runGroup([1, 2, 3], 1, run)).rejects.toBe(transient);
    expect(ran).toEqual([1, 2]);
  });

  it('grouped: every item is tried, at most `size` at once, results in order', async () => {
    let inFlight = 0;
    let most = 0;
    const run = async (n: number) => {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      return n * 10;
    };
    expect(await runGroup([1, 2, 3, 4, 5], 3, run)).toEqual([10, 20, 30, 40, 50]);
    expect(most).toBe(3);
  });

  it('grouped: a failure does not stop the others; a permanent one wins over a transient one', async () => {
    const done: number[] = [];
    const run = async (n: number) => {
      if (n === 1) throw transient;
      if (n === 3) throw refused;
      done.push(n);
      return n;
    };
    await expect(runGroup([1, 2, 3, 4], 4, run)).rejects.toBe(refused);
    expect(done.sort()).toEqual([2, 4]);
    await expect(runGroup([1, 2, 4], 4, run)).rejects.toBe(transient);
  });
});
