import { isRowValueError, isStatementError } from '@integrador/store';
import { asParameter, asText } from './crm-values';

describe('CRM values of a GET row', () => {
  it('refuses an Invalid Date as a row fault (SQLSTATE 22007), never as a lost CRM connection', () => {
    const invalid = new Date(Number.NaN);
    for (const write of [
      () => asText(invalid, 'datetime'),
      () => asParameter(invalid, 'date', 'mysql'),
      () => asParameter(invalid, 'timestamp', 'postgres'),
    ]) {
      let caught: unknown;
      try {
        write();
      } catch (err) {
        caught = err;
      }
      expect(isStatementError(caught)).toBe(true);
      expect(isRowValueError(caught)).toBe(true);
    }
  });
});
