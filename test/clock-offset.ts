// Preloaded with `node --import` into a skypipe process: moves its wall clock by
// SKYPIPE_TEST_CLOCK_OFFSET_MS milliseconds, as on a machine whose clock is wrong.
const offset = Number(process.env.SKYPIPE_TEST_CLOCK_OFFSET_MS ?? '0');
const RealDate = Date;
const now = () => RealDate.now() + offset;

class SkewedDate extends RealDate {
  constructor(...args: ConstructorParameters<DateConstructor> | []) {
    if (args.length === 0) super(now());
    else super(...(args as ConstructorParameters<DateConstructor>));
  }

  static override now(): number {
    return now();
  }
}

globalThis.Date = SkewedDate as DateConstructor;
