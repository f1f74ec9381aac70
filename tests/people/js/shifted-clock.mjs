// `make test-future` (GATEWAY_TEST_SHIFT_DAYS=N) moves the Python side's wall clock N days
// ahead; the provider's clock moves with it, so that its tokens and session cookies live on the
// same day as the gateway that checks them. Imported first: before any module reads the time.
const SHIFT_MS = Number(process.env.GATEWAY_TEST_SHIFT_DAYS || 0) * 86_400_000;

if (SHIFT_MS) {
  const RealDate = Date;
  class ShiftedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(RealDate.now() + SHIFT_MS);
      else super(...args);
    }
    static now() {
      return RealDate.now() + SHIFT_MS;
    }
  }
  globalThis.Date = ShiftedDate;
}
