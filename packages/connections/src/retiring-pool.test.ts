import { parseConnections } from './connections-file';
import { ConnectionsRegistry } from './connections-registry';
import { RetiringPool } from './retiring-pool';

describe('RetiringPool', () => {
  let text = '';
  const fileWith = (password: string) => `connections:
  erp: { tipo: database, driver: mysql, host: erp.example, database: erp, user: u, password: ${password} }
  crm: { tipo: api, baseUrl: "https://api" }
`;
  const read = async (): Promise<ConnectionsRegistry> =>
    new ConnectionsRegistry(
      [...parseConnections(text, 'yaml', {}, 'connections.yaml').entries()].map(([, c]) => c),
      'connections.yaml',
      read,
    );

  it('retires a changed definition once its last user is done, keeps the others, and closes everything at shutdown', async () => {
    text = fileWith('antiga');
    const connections = await read();
    const closed: string[] = [];
    const pool = new RetiringPool<string>((value) => void closed.push(value), connections);
    const erp = pool.get(connections.require('erp'), () => 'erp-1');
    const crm = pool.get(connections.require('crm'), () => 'crm-1');
    expect(pool.get(connections.require('erp'), () => 'erp-2')).toBe(erp);

    let finish!: () => void;
    const inFlight = pool.use(erp, () => new Promise<string>((resolve) => (finish = () => resolve('done'))));
    text = fileWith('nova');
    expect(await connections.reload()).toEqual(['erp']);
    expect(erp.retired).toBe(true);
    expect(crm.retired).toBe(false);
    expect(closed).toEqual([]);
    // The new definition gets a value of its own; the retired one closes after its call.
    expect(pool.get(connections.require('erp'), () => 'erp-2').value).toBe('erp-2');
    finish();
    expect(await inFlight).toBe('done');
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toEqual(['erp-1']);

    await pool.close();
    expect(pool.closed).toBe(true);
    expect(closed.sort()).toEqual(['crm-1', 'erp-1', 'erp-2']);
  });
});
