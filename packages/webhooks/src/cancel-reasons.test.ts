import { CANCELLED_BY_DISABLING } from '@integrador/store';
import { CANCELLED_DISABLED, LEGACY_CANCEL_TEXT } from './messages';

// The retention purge keeps the deliveries a recover re-sends while their endpoint stays disabled: it names the same
// `ultimo_erro` values as the recover (store cannot import this package).
describe('cancel reasons', () => {
  it("the purge's disable-cancelled values are the recover's", () => {
    expect([...CANCELLED_BY_DISABLING].sort()).toEqual([CANCELLED_DISABLED, LEGACY_CANCEL_TEXT].sort());
  });
});
