import { InvalidCronError, nextCronTime } from './job-schedulers';

/** The refusal nextCronTime (schedules sync, the scheduler) gives a cron. */
function refusal(pattern: string): InvalidCronError {
  try {
    nextCronTime(pattern, 'America/Sao_Paulo');
  } catch (err) {
    if (err instanceof InvalidCronError) return err;
    throw err;
  }
  throw new Error(`cron "${pattern}" was accepted`);
}

describe("a cron's refusal in the reader's language (trial 4 #3)", () => {
  it.each([
    ['*/61 * * * *', 'o passo /61 é maior que o intervalo 0-59 do seu campo', "step /61 is wider than its field's 0-59 range"],
    ['* * * *', 'esperados 5 campos (minuto hora dia mês dia-da-semana) ou 6 com os segundos primeiro, recebidos 4', 'expected 5 fields'],
    ['61 * * * *', 'o valor 61 está fora do intervalo 0-59 do seu campo', "value 61 is outside its field's 0-59 range"],
    ['0 25 * * *', 'o valor 25 está fora do intervalo 0-23 do seu campo', "value 25 is outside its field's 0-23 range"],
    ['0 10-30 * * *', 'o valor 10-30 está fora do intervalo 0-23 do seu campo', "value 10-30 is outside its field's 0-23 range"],
  ])("%s: the common problems worded in pt-BR, never the parser's English", (pattern, ptBR, en) => {
    const error = refusal(pattern);
    expect(error.reason('pt-BR')).toBe(ptBR);
    expect(error.reason('en')).toContain(en);
  });

  it("says another refusal in pt-BR without the parser's English, which stays for English and the logs", () => {
    const error = refusal('0 0 * * * * *');
    expect(error.reason('pt-BR')).not.toMatch(/[A-Za-z]+ (error|got|expected)/);
    expect(error.reason('en')).toBe((error.cause as Error).message);
    expect(error.message).toContain((error.cause as Error).message);
  });
});
