// A realistic ERP customers table: Senior G5's E085CLI with the columns a GET pull of contas reads.

export interface Customer {
  CODCLI: number;
  NOMCLI: string;
  APECLI: string;
  CGCCPF: number;
  TIPCLI: 'J' | 'F';
  CEPCLI: number;
  ENDCLI: string;
  CIDCLI: string;
  SIGUFS: string;
  FONCLI: string;
  INTNET: string | null;
  SITCLI: 'A' | 'I';
  DATALT: Date;
}

export const CUSTOMER_COLUMNS = [
  'CODCLI',
  'NOMCLI',
  'APECLI',
  'CGCCPF',
  'TIPCLI',
  'CEPCLI',
  'ENDCLI',
  'CIDCLI',
  'SIGUFS',
  'FONCLI',
  'INTNET',
  'SITCLI',
  'DATALT',
] as const;

const CITIES = [
  ['Blumenau', 'SC'],
  ['São Paulo', 'SP'],
  ['Porto Alegre', 'RS'],
  ['Curitiba', 'PR'],
  ['Belo Horizonte', 'MG'],
] as const;

/** Customer number `i` (1-based), the same on every run; every 7th has no e-mail (NULL). */
export function customer(i: number): Customer {
  const [city, uf] = CITIES[i % CITIES.length] as (typeof CITIES)[number];
  const company = i % 3 !== 0;
  return {
    CODCLI: i,
    NOMCLI: `${company ? 'Comércio' : 'José'} Ação ${i} ${company ? 'Ltda' : 'da Silva'}`,
    APECLI: `Cliente ${i}`,
    CGCCPF: company ? 10_000_000_000_000 + i * 97 : 10_000_000_000 + i,
    TIPCLI: company ? 'J' : 'F',
    CEPCLI: 89_000_000 + i,
    ENDCLI: `Rua ${i}, ${i * 3}`,
    CIDCLI: city,
    SIGUFS: uf,
    FONCLI: `(47) 3${String(i).padStart(7, '0')}`,
    INTNET: i % 7 === 0 ? null : `contato${i}@cliente.com.br`,
    SITCLI: i % 11 === 0 ? 'I' : 'A',
    // Whole seconds: every database here stores them exactly.
    DATALT: new Date(2024, 0, 1, 8, 0, 0 + i * 61),
  };
}

/** Customers 1..count. */
export function customers(count: number): Customer[] {
  return Array.from({ length: count }, (_, index) => customer(index + 1));
}

/** The values of a customer in CUSTOMER_COLUMNS order. */
export function customerValues(row: Customer): unknown[] {
  return CUSTOMER_COLUMNS.map((column) => row[column]);
}
