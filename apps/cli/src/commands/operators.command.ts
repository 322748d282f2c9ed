import { randomBytes } from 'node:crypto';
import { loadConfig } from '@integrador/config';
import { loginFailureKey } from '@integrador/dashboard/login';
import { createOperador, listOperadores, type PapelOperador } from '@integrador/store';
import type { Command } from 'commander';
import { type Cli, parseId, print, printJson, withDatabase } from '../cli-context';
import { CliError } from '../cli-error';
import { empresaExists } from '../empresas.queries';
import { withJobProducer } from '../queue-connection';

interface CreateOptions {
  nome?: string;
  papel: string;
  empresa?: string;
  fuso?: string;
  idioma?: string;
  senhaStdin?: boolean;
  json?: boolean;
}

const ROLES: PapelOperador[] = ['admin', 'operador', 'leitor'];

const TEXT = {
  'pt-BR': {
    operators: 'operadores do painel (admin: todas as empresas; operador: as suas; leitor: só leitura)',
    create: 'cria um operador; sem --senha-stdin gera uma senha e a mostra uma única vez',
    list: 'lista os operadores e suas empresas',
    unlock: 'desbloqueia a entrada de um login travado por tentativas sem sucesso (zera a contagem)',
    unlocked: (login: string) => `entrada de ${login} desbloqueada`,
    notLocked: (login: string) => `${login} não tinha tentativas sem sucesso contadas; nada a desbloquear`,
    papelOption: 'papel: admin, operador ou leitor',
    nomeOption: 'nome do operador',
    empresaOption: 'ids das empresas do operador, separados por vírgula',
    fusoOption: 'fuso horário IANA (padrão America/Sao_Paulo)',
    idiomaOption: 'idioma do painel: pt-BR ou en',
    senhaStdinOption: 'lê a senha da entrada padrão',
    role: (v: string) => `papel "${v}" inválido: use admin, operador ou leitor`,
    needsEmpresa: 'operador e leitor precisam de --empresa <id[,id…]>',
    noEmpresa: (id: number) => `empresa ${id} não existe`,
    emptyPassword: 'senha vazia na entrada padrão',
    created: (login: string, senha?: string) => `Operador ${login} criado${senha ? `; senha (mostrada uma única vez): ${senha}` : ''}`,
  },
  en: {
    operators: 'dashboard operators (admin: every tenant; operador: their tenants; leitor: read-only)',
    create: 'creates an operator; without --senha-stdin a password is generated and shown once',
    list: 'lists the operators and their tenants',
    unlock: 'unlocks a login locked by failed attempts (clears its count)',
    unlocked: (login: string) => `login ${login} unlocked`,
    notLocked: (login: string) => `${login} had no failed attempts counted; nothing to unlock`,
    papelOption: 'role: admin, operador or leitor',
    nomeOption: "the operator's name",
    empresaOption: "the operator's empresa ids, comma separated",
    fusoOption: 'IANA time zone (default America/Sao_Paulo)',
    idiomaOption: 'language of the dashboard: pt-BR or en',
    senhaStdinOption: 'reads the password from standard input',
    role: (v: string) => `invalid role "${v}": use admin, operador or leitor`,
    needsEmpresa: 'operador and leitor need --empresa <id[,id…]>',
    noEmpresa: (id: number) => `empresa ${id} does not exist`,
    emptyPassword: 'empty password on standard input',
    created: (login: string, senha?: string) => `Operator ${login} created${senha ? `; password (shown once): ${senha}` : ''}`,
  },
};

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** `integrador operators create|list|unlock`: who may log in to the dashboard, with which role and tenants. */
export function registerOperatorsCommand(program: Command, cli: Cli): void {
  const text = TEXT[cli.locale];
  const operators = program.command('operators').description(text.operators);
  operators
    .command('create <login>')
    .description(text.create)
    .requiredOption('--papel <papel>', text.papelOption)
    .option('--nome <nome>', text.nomeOption)
    .option('--empresa <ids>', text.empresaOption)
    .option('--fuso <tz>', text.fusoOption)
    .option('--idioma <lang>', text.idiomaOption)
    .option('--senha-stdin', text.senhaStdinOption)
    .option('--json', cli.text.jsonOption)
    .action((login: string, options: CreateOptions) => create(cli, login, options));
  operators
    .command('list')
    .description(text.list)
    .option('--json', cli.text.jsonOption)
    .action((options: { json?: boolean }) => list(options));
  operators
    .command('unlock <login>')
    .description(text.unlock)
    .action((login: string) => unlock(cli, login));
}

/** Clears a login's failure count (the dashboard's per-login lock), whether or not the login exists. */
async function unlock(cli: Cli, login: string): Promise<void> {
  const text = TEXT[cli.locale];
  const config = loadConfig();
  const cleared = await withJobProducer(cli, config, (producer) => producer.connection.del(loginFailureKey(config.keyPrefix, login)));
  print(cleared > 0 ? text.unlocked(login.trim()) : text.notLocked(login.trim()));
}

async function create(cli: Cli, login: string, options: CreateOptions): Promise<void> {
  const text = TEXT[cli.locale];
  const papel = options.papel as PapelOperador;
  if (!ROLES.includes(papel)) throw new CliError(text.role(options.papel));
  const empresas = (options.empresa ?? '')
    .split(',')
    .filter((v) => v.trim())
    .map((v) => parseId(cli, '--empresa', v));
  if (papel !== 'admin' && empresas.length === 0) throw new CliError(text.needsEmpresa);
  const generated = options.senhaStdin ? undefined : randomBytes(12).toString('base64url');
  const senha = generated ?? (await readStdin());
  if (!senha) throw new CliError(text.emptyPassword);
  await withDatabase(async (database) => {
    for (const id of empresas) if (!(await empresaExists(database.db, id))) throw new CliError(text.noEmpresa(id));
    const id = await createOperador(database.db, {
      login,
      nome: options.nome ?? login,
      senha,
      papel,
      empresas,
      ...(options.fuso ? { fusoHorario: options.fuso } : {}),
      ...(options.idioma ? { idioma: options.idioma } : {}),
    });
    if (options.json) printJson({ id, login, papel, empresas, ...(generated ? { senha: generated } : {}) });
    else print(text.created(login, generated));
  });
}

async function list(options: { json?: boolean }): Promise<void> {
  await withDatabase(async (database) => {
    const rows = await listOperadores(database.db);
    if (options.json) return printJson(rows);
    for (const r of rows) print(`${r.id}\t${r.login}\t${r.papel}\t${r.empresas.join(',') || '*'}\t${r.ativo ? '' : '(inativo)'}`);
  });
}
