import { bindEngineValues, scopeStatement, TenantScopeError, type TenantTables } from './tenant-scope';

const tables: TenantTables = new Map([
  ['contas', { name: 'contas', empresaColumn: 'empresa_id', filial: true }],
  ['empresas', { name: 'empresas', empresaColumn: 'id', filial: false }],
]);
const tenant = { empresaId: 7, filialId: null };

describe('scopeStatement', () => {
  it("shadows the seed's consulta, which has no empresa filter, with the tenant's rows", () => {
    const sql = 'SELECT c.id, c.nome FROM contas AS c WHERE c.id = #contaId#';
    expect(scopeStatement(sql, 'postgres', tables, tenant)).toBe(
      `WITH "contas" AS (SELECT * FROM "contas" WHERE empresa_id = #empresa_id#) ${sql}`,
    );
    // SQLite reads a CTE naming itself as circular: the body names the real table through main.
    expect(scopeStatement(sql, 'sqlite', tables, tenant)).toContain('FROM main."contas"');
    expect(scopeStatement(sql, 'mysql', tables, tenant)).toContain('WITH `contas` AS (SELECT * FROM `contas`');
  });

  it('hides other filiais from a filial run', () => {
    expect(scopeStatement('SELECT * FROM contas', 'postgres', tables, { empresaId: 7, filialId: 2 })).toContain(
      'AND (empresa_filial_id IS NULL OR empresa_filial_id = #empresa_filial_id#)',
    );
  });

  it("merges into the statement's own WITH, and ignores names inside literals and comments", () => {
    expect(scopeStatement('WITH x AS (SELECT id FROM Contas) SELECT * FROM x', 'postgres', tables, tenant)).toBe(
      'WITH "contas" AS (SELECT * FROM "contas" WHERE empresa_id = #empresa_id#), x AS (SELECT id FROM Contas) SELECT * FROM x',
    );
    const untouched = "SELECT 'contas' AS t, 1 -- contas\nFROM integracao";
    expect(scopeStatement(untouched, 'postgres', tables, tenant)).toBe(untouched);
  });

  it('refuses the shapes that would escape the binding', () => {
    expect(() => scopeStatement('SELECT * FROM public.contas', 'postgres', tables, tenant)).toThrow(TenantScopeError);
    expect(() => scopeStatement('WITH RECURSIVE r AS (SELECT * FROM contas) SELECT * FROM r', 'sqlite', tables, tenant)).toThrow(
      /RECURSIVE/,
    );
    expect(() => scopeStatement('SELECT * FROM (WITH x AS (SELECT * FROM contas) SELECT * FROM x) t', 'mysql', tables, tenant)).toThrow(
      /nested|inside/,
    );
  });

  it('leaves writes to the tenant guard triggers', () => {
    const update = 'UPDATE contas SET id_erp = #codCli# WHERE id = #contaId#';
    expect(scopeStatement(update, 'postgres', tables, tenant)).toBe(update);
  });
});

describe('bindEngineValues', () => {
  it('never lets a parameter, an upstream value or a row replace the engine variables', () => {
    expect(bindEngineValues({ empresa_id: 2, EMPRESA_ID: 3, contaId: 43 }, { empresaId: 1, filialId: null })).toEqual({
      contaId: 43,
      empresa_id: 1,
      empresa_filial_id: null,
    });
  });

  it("keeps a column named __proto__ as a value, never as the bound object's prototype", () => {
    const row = JSON.parse('{"__proto__": {"polluted": true}, "nome": "x"}') as Record<string, unknown>;
    const bound = bindEngineValues(row, { empresaId: 1, filialId: null });
    expect(Object.getPrototypeOf(bound)).toBe(Object.prototype);
    expect((bound as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.keys(bound)).toEqual(['__proto__', 'nome', 'empresa_id', 'empresa_filial_id']);
    expect(Object.getOwnPropertyDescriptor(bound, '__proto__')?.value).toEqual({ polluted: true });
  });
});
